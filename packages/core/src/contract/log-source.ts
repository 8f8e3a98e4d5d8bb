import type { Logger } from '../util/logger.js';

/**
 * A line as a source yields it. File and stdin sources give only `text`; the journal source fills
 * the structured fields it has, and the engine then skips date/header detection.
 */
export interface SourceLine {
  readonly text: string;
  readonly time?: number | undefined;
  readonly program?: string | undefined;
  readonly pid?: string | undefined;
  readonly hostname?: string | undefined;
}

/** Receives batches of lines from a source, in order. */
export interface LineSink {
  (lines: readonly SourceLine[], origin: string): void;
}

/** Positions a source persists so a restart neither re-reads nor skips lines. */
export interface PositionStore {
  getPosition(key: string): SourcePosition | undefined;
  setPosition(key: string, position: SourcePosition): void;
}

/** A file position (device+inode+first-line hash identify the file) or a journal cursor. */
export interface SourcePosition {
  readonly offset?: number | undefined;
  readonly dev?: number | undefined;
  readonly ino?: number | undefined;
  readonly headHash?: string | undefined;
  readonly cursor?: string | undefined;
}

/** A running log source. */
export interface LogSource {
  /** Stable id (e.g. `file:/var/log/auth.log`, `journal:_SYSTEMD_UNIT=sshd.service`). */
  readonly id: string;
  /** Begin reading; lines are delivered to the sink until `stop`. Resolves once following has begun. */
  start(sink: LineSink): Promise<void>;
  stop(): Promise<void>;
}

/** Common context for creating sources. */
export interface LogSourceContext {
  readonly logger: Logger;
  readonly positions?: PositionStore | undefined;
}
