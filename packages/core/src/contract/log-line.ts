/**
 * One log line as the engine hands it to filters: the message with the date and syslog header
 * already taken off, plus what the header told us.
 */
export interface LogLine {
  /** The line exactly as read (after truncation to the engine's maximum line length). */
  readonly raw: string;
  /**
   * The message part: for syslog lines the text after `program[pid]: `, for journal records `MESSAGE`;
   * for a daemon's own log file the line with its date removed.
   */
  readonly message: string;
  /** Time of the line in milliseconds since the epoch (UTC). `NaN` when no date was found. */
  readonly time: number;
  /** Syslog tag / journal `SYSLOG_IDENTIFIER`, e.g. `sshd` or `sshd-session`; absent for plain daemon logs. */
  readonly program?: string | undefined;
  /** Process id from the syslog tag or journal `_PID`. */
  readonly pid?: string | undefined;
  /** Host name from the syslog header or journal `_HOSTNAME`. */
  readonly hostname?: string | undefined;
  /** 1-based line number within its source, when the source counts lines. */
  readonly lineno?: number | undefined;
  /** Where the line came from (file path, `journal`, `stdin`). */
  readonly source?: string | undefined;
}

/**
 * Whether a line of `program` is for a filter that reads `programs`: the name itself, or its part before
 * a `/` (`httpd/backend1`, an instance tag chosen by the admin, is `httpd`'s).
 */
export function readsProgram(programs: ReadonlySet<string>, program: string): boolean {
  if (programs.has(program)) return true;
  const slash = program.indexOf('/');
  return slash > 0 && programs.has(program.slice(0, slash));
}
