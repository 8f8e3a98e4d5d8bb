import type { LogLine } from './log-line.js';

/**
 * What a filter reports for one log line: the offending host and the time of the failure.
 */
export interface Failure {
  /**
   * The host as it appears in the log (IPv6 lowercased). An address when the daemon logged one, a
   * host name otherwise; the engine canonicalises and resolves it before tracking.
   */
  readonly host: string;
  /** Milliseconds since the epoch (UTC); the line's time. */
  readonly time: number;
  /** User name, when the line names one (`<F-USER>`). */
  readonly user?: string | undefined;
  /** Other captured `<F-NAME>` fields (lower-cased names), e.g. `{ id: '…' }` for `<F-ID>`. */
  readonly fields?: Readonly<Record<string, string>> | undefined;
  /** The line that carried the failure. */
  readonly line: LogLine;
  /** Index of the failregex (after mode/option selection) that matched; -1 for custom matchers. */
  readonly rule: number;
}

/**
 * How a failregex line takes part in multi-line correlation (see {@link FilterDefinition.correlate}).
 * - `fail` (default): a failure now.
 * - `note`: no failure; remembers host/user for the correlation id so later host-less lines can use them.
 * - `pending`: a failure that only counts if the connection ends (a `forget` line) without a `success`
 *   line in between (e.g. `Failed publickey` followed by `Accepted publickey` is not an attack). Pending
 *   failures of a correlation id that stays silent for 10 minutes are dropped.
 * - `fallback`: a failure only when its correlation id has counted none yet and holds no pending ones —
 *   a connection's closing line (`Connection closed by authenticating user … [preauth]`) that is the only
 *   trace of attempts not logged on their own, so that one attempt is never counted twice. Without a
 *   correlation id it counts like `fail`.
 * - `success`: drops the pending failures of the correlation id. It never changes the remembered host or
 *   user (a user name is attacker-written text).
 *
 * A `fail` of a correlation id also settles its pending failures: they were traces of the same attempts
 * (PAM's own failure line before the daemon's `Failed password`, keys a client offered before its password).
 * A `fail` that also `forget`s (a closing line such as `Too many authentication failures`) releases them.
 *
 * A `fail` or `pending` rule without a host tag takes the host remembered for its correlation id. When the
 * id has none yet, the failure waits (at most 32 per id, dropped with the id after 10 silent minutes, also
 * past a `forget` line) for a later line of the same id that captures a host — e.g. sshd's
 * `kex_exchange_identification` or old `Disconnecting: Too many authentication failures` followed by
 * `Connection closed by <host> …`; then a waiting `fail` counts, with its own line and time, and a waiting
 * `pending` becomes pending. Without a correlation id, a host-less line is dropped.
 */
export type RuleKind = 'fail' | 'note' | 'pending' | 'fallback' | 'success';

/** One failure pattern with its role. */
export interface FailRule {
  /**
   * A regular expression (JavaScript syntax) applied to {@link LogLine.message}, with tags:
   * `<HOST>` (address or host name), `<ADDR>` (IPv4 or IPv6, optionally in brackets), `<IP4>`, `<IP6>`,
   * `<F-USER>…</F-USER>`, `<F-ID>…</F-ID>` and `<F-NAME>…</F-NAME>` for any other captured field.
   * Anchor it (`^…`) and anchor after attacker-controlled fields: the text that follows `<F-USER>` must
   * be fixed daemon text, so a user name cannot smuggle a second `from <address>`.
   */
  readonly pattern: string;
  /** Role in multi-line correlation; default `fail`. */
  readonly kind?: RuleKind | undefined;
  /** After this line, forget everything remembered for its correlation id (connection closed). */
  readonly forget?: boolean | undefined;
  /**
   * Literal strings of which at least one must occur in the message before the regex is tried.
   * Derived from the pattern when absent (its longest literal run); give them when the pattern
   * starts with alternatives.
   */
  readonly literals?: readonly string[] | undefined;
  /**
   * Include this rule only when every named option has one of the listed values, e.g.
   * `{ mode: ['ddos', 'aggressive'] }`.
   */
  readonly when?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Free-form description shown by `test-filter` per-rule statistics. */
  readonly description?: string | undefined;
}

/** A filter option: a closed set of values with a default (`mode`, `logging`, …). */
export interface FilterOption {
  readonly values: readonly string[];
  readonly default: string;
  readonly description?: string | undefined;
}

/** A custom matcher: the escape hatch for lines no regex set expresses well. */
export interface CustomMatcher {
  /** Return failures for this line (usually zero or one). Keep state per instance, not globally. */
  match(line: LogLine): readonly Failure[] | undefined;
}

/**
 * A filter as a plugin declares it: data that core compiles.
 */
export interface FilterDefinition {
  /** Filter id used in configs, e.g. `sshd`, `apache-auth`. */
  readonly id: string;
  readonly description?: string | undefined;
  /**
   * Syslog program names (tags / `SYSLOG_IDENTIFIER`) this filter reads, e.g. `['sshd', 'sshd-session']`.
   * Lines that carry another program name are skipped without running any regex; lines without a
   * program (a daemon's own log file) are always tried; `name/instance` tags count as `name`'s. Omit to try
   * every line.
   */
  readonly programs?: readonly string[] | undefined;
  /**
   * How the date of a line is found, in fail2ban's `datepattern` syntax (`{^LN-BEG}%Y-%m-%d %H:%M:%S`,
   * `{NONE}` for logs without dates: lines count at their arrival, `EPOCH`, `TAI64N`). A jail's own
   * `datepattern` wins. Omit it for the usual formats (syslog, ISO 8601, Apache, nginx, ctime, epoch, TAI64N).
   */
  readonly datepattern?: string | undefined;
  /** journald matches for the journal backend, e.g. `['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']`. */
  readonly journalmatch?: readonly string[] | undefined;
  /** Options with closed value sets; `mode` by convention selects a rule set. */
  readonly options?: Readonly<Record<string, FilterOption>> | undefined;
  /**
   * Optional regex (no tags) matched at the start of the message and removed before the failregexes run,
   * e.g. `(?:error|fatal): (?:PAM: )?` for sshd.
   */
  readonly prefix?: string | undefined;
  /** Failure rules (strings are `fail` rules), or a function of the selected options returning them. */
  readonly failregex:
    | readonly (string | FailRule)[]
    | ((options: Readonly<Record<string, string>>) => readonly (string | FailRule)[]);
  /** Lines matching any of these are never failures (same tag language). */
  readonly ignoreregex?:
    | readonly string[]
    | ((options: Readonly<Record<string, string>>) => readonly string[])
    | undefined;
  /**
   * Multi-line correlation key: `pid` uses the syslog/journal process id, or a function returning a key
   * per line (undefined = uncorrelated). Needed for `note`, `pending`, `success` rules and `forget`.
   */
  readonly correlate?: 'pid' | ((line: LogLine) => string | undefined) | undefined;
  /**
   * Build a custom matcher, run before the regex rules. When it reports failures for a line, those are the
   * line's failures, but the regex rules still run on it for their correlation side effects (`note`,
   * `forget`, `success`); pending failures of earlier lines that a `forget` releases are reported too.
   */
  readonly match?: ((options: Readonly<Record<string, string>>) => CustomMatcher) | undefined;
  /**
   * `pid`: the custom matcher ({@link match}) keeps state per process id only, as `correlate: 'pid'` does, so
   * a tool may share a log out between threads by pid (`test-filter` on a large file) and get the same
   * failures. Without it, a filter with a custom matcher is read by one thread.
   */
  readonly splitBy?: 'pid' | undefined;
  /**
   * For filters read from fail2ban's filter.d (`lineView: 'fail2ban'`): that file's `datepattern`, read the way
   * fail2ban reads it (`{^LN-BEG}`, `{NONE}`, `%Y-%m-%d %H:%M:%S`, `^<\\d+>{DATE}`, regex text around the codes),
   * undefined for fail2ban's default templates. Native filters use {@link FilterDefinition.datepattern}, which the
   * source's parser reads.
   */
  readonly fail2banDates?: string | undefined;
  /**
   * What the regexes see. `message` (default): the message the source's parser found (date and syslog header
   * taken off). `fail2ban`: the line as fail2ban presents it to a filter — the raw line with only its date
   * text cut out, found by fail2ban's date templates (its defaults, or `datepattern`), so the filter's own
   * `__prefix_line` reads the syslog header; a journal record is `host program[pid]: MESSAGE`. Set by the
   * fail2ban filter.d loader, so its regexes match exactly the text they were written for.
   */
  readonly lineView?: 'message' | 'fail2ban' | undefined;
  /**
   * With `lineView: 'fail2ban'`: fail2ban's `maxlines`, the lines buffered for multi-line regexes. The regexes
   * see the last `maxlines` lines joined with `\n` (`^.*\nWARNING: Authentication attempt from <HOST>`); a
   * match empties the buffer, as fail2ban drops the lines it matched. Default 1.
   */
  readonly maxlines?: number | undefined;
}
