import type { SourcePosition } from './log-source.js';

/** The failures a jail holds for one host: their times (ms), oldest first; empty when the host was forgotten. */
export interface FailureRecord {
  readonly jail: string;
  readonly host: string;
  readonly times: readonly number[];
}

/** What the runtime has read and counted since the last save: positions and the failures they led to. */
export interface ReadProgress {
  readonly positions: ReadonlyMap<string, SourcePosition>;
  /**
   * At most one record per jail and host (a store may write them in any order). The runtime builds each
   * record as it is visited: a store should write them as it goes rather than keep them, and may visit them
   * again (to queue what a failed write did not save).
   */
  readonly failures: Iterable<FailureRecord>;
}

/**
 * Where the runtime keeps how far it has read and what it counted, always on this machine (unlike bans,
 * which a shared ledger may hold one day). Positions and failures are saved together, about once a
 * second, so after a crash a restart resumes from a position whose failures are exactly those counted
 * up to it: a host that failed before the crash still needs only the rest of its failures, and no line
 * is counted twice.
 */
export interface ProgressStore {
  getPosition(key: string): SourcePosition | undefined;
  /** Save positions and failure changes as one unit (one transaction): all of it or none. */
  saveProgress(progress: ReadProgress): void;
  /** The failures saved for a jail (its records with times; the jail drops those outside findtime). */
  failures(jail: string): FailureRecord[];
}
