import type { Logger } from '../util/logger.js';

/**
 * A line as a source yields it. Which text the filters see is explicit: a line without `message` (file,
 * stdin) is raw text, parsed for its date and syslog header; a line with `message` (a journal record) was
 * decoded by its source, so `message` is what the filters see, the other fields are used as given, and
 * `text` is only shown (recent matches, test-filter samples).
 */
export interface SourceLine {
  /** The whole line as read; for a decoded record, how it is shown (`program[pid]: message`). */
  readonly text: string;
  /** The message part, when the source decoded it: no date or header is looked for then. */
  readonly message?: string | undefined;
  /** Milliseconds since the epoch (decoded lines). */
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
