import type { FailRule } from '@portcullis/core';

/**
 * The start of an Apache error log message (the engine has already removed the `[Wed Oct 11 14:32:52 2000]`
 * date, or the syslog header when Apache logs through syslog). Apache writes the client before any
 * attacker-written text (user name, URI, referer), so the address is taken from this fixed prefix.
 *
 * Apache 2.4 (`[module:level] [pid P:tid T] (errno)text: [client IP:PORT] AHnnnnn: `): the port is always
 * there (`%s:%d`), also after an IPv6 address (`[client 2001:db8::1:51234]`), so an IPv6 address is split
 * before its last `:digits` (an IPv6 address without a port, from custom formats, is the last resort).
 * `[remote …]` stands where the connection has no scoreboard handle (HTTP/2 secondary connections) and is
 * the peer as well; when a
 * `[remote …]` precedes a `[client …]` (proxied setups) the client is taken. The errno text comes before
 * the client in 2.4 and after it in 2.2; a source position (`mod_x.c(123): `) appears at debug levels; a
 * second `[client …]` that some modules add after the first, or a `[remote %{c}a]` that an ErrorLogFormat
 * puts after `[client %a]` (mod_remoteip: the client is the `useragent_ip`), is skipped.
 */
const PREFIX_24 =
  '^DATE\\[[^\\]\\s:]*:[a-z]+[0-9]?\\](?: \\[pid \\d+(?::tid \\d+)?\\])?(?: [\\w.-]+\\.c\\(\\d+\\):)?ERRNO' +
  ' (?:\\[remote [^\\]\\s]+\\] )?\\[(?:client|remote) ' +
  '(?:<IP4>(?::\\d{1,5})?|<IP6>:\\d{1,5}|\\[<IP6>\\](?::\\d{1,5})?|<IP6>)\\]' +
  '(?: \\[(?:client|remote) [^\\]\\s]+\\])?ERRNO (?:AH\\d{5}: )?';

/** Apache 1.3–2.2 (`[level] [client IP] `): no module, no port (IPv6 addresses unbracketed). */
const PREFIX_22 = '^DATE\\[[a-z]+\\] \\[client <ADDR>(?::\\d{1,5})?\\]ERRNO (?:\\[\\d+\\] )?';

/**
 * Apache's own date, still in the message when the error log is piped to `logger` (`ErrorLog "|logger -t
 * apache2"`): the syslog header is removed by the engine, Apache's `[Wed Oct 11 14:32:52.123456 2000] `
 * stays. A fixed shape, so it cannot be confused with the level bracket.
 */
const DATE = '(?:\\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,6})? \\d{4}\\] )?';

/** Any errno part: `(2)No such file or directory:`, `(70007)The timeout specified has expired:`. */
export const ANY_ERRNO = '(?: \\(-?\\d+\\)[^\\[\\]:]*:)?';

/** What a rule built by {@link errorRules} needs besides its body. */
export interface ErrorRuleSpec {
  /** Regex for the text after the prefix (and after an `AHnnnnn: ` code). */
  readonly body: string;
  /** Literal pre-checks: at least one occurs in every line the body matches. */
  readonly literals: readonly string[];
  readonly description: string;
  readonly when?: Readonly<Record<string, readonly string[]>> | undefined;
  /** The errno part the rule accepts (default {@link ANY_ERRNO}). */
  readonly errno?: string | undefined;
  /** Only the Apache 2.4 form, for messages that 2.2 never wrote. */
  readonly only24?: boolean | undefined;
  /** Only the Apache 1.3–2.2 form, for messages that 2.4 no longer writes. */
  readonly only22?: boolean | undefined;
}

/**
 * The rules for one error-log message: one for the Apache 2.4 form and one for the 2.2 form, which differ
 * in how the client address ends (see above). The 2.4 rule comes first so an ambiguous IPv6 address
 * with a port is split as 2.4 writes it.
 */
export function errorRules(spec: ErrorRuleSpec): FailRule[] {
  const errno = spec.errno ?? ANY_ERRNO;
  const rules: FailRule[] = [
    {
      pattern: PREFIX_24.replace('DATE', DATE).replaceAll('ERRNO', errno) + spec.body,
      literals: spec.literals,
      description: `${spec.description} (Apache 2.4)`,
      when: spec.when,
    },
    {
      pattern: PREFIX_22.replace('DATE', DATE).replaceAll('ERRNO', errno) + spec.body,
      literals: spec.literals,
      description: `${spec.description} (Apache 2.2)`,
      when: spec.when,
    },
  ];
  return spec.only24 ? rules.slice(0, 1) : spec.only22 ? rules.slice(1) : rules;
}
