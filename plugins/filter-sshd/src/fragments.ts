/**
 * Regex fragments shared by the sshd rules. OpenSSH prints user names with `%.100s`, so every user field
 * is bounded to 100 characters: a lazy `.{0,100}?` can only move a bounded distance, which keeps the rules
 * linear on hostile 64 KiB lines, and the fixed daemon text after the host (anchored to the end of the
 * line) decides which `from <host>` is the real peer.
 */

/** A user name as OpenSSH logs it (`%.100s`; may hold spaces and other attacker-written text). */
export const USER = '<F-USER>.{0,100}?</F-USER>';

/** A user name without blanks: for lines where attacker text follows the host, so the host must come right after. */
export const USER_WORD = '<F-USER>[^\\s]{0,100}</F-USER>';

/**
 * The peer: `<HOST>`, except the word `UNKNOWN`, which sshd prints (`UNKNOWN port 65535`) when the peer
 * address is already gone.
 */
export const PEER = '(?!UNKNOWN\\b)<HOST>';

/** `invalid user ` / `illegal user ` (OpenSSH < 3.9 said illegal) in front of a user name. */
export const INVALID = '(?:(?:invalid|illegal) user )?';

/** Optional ` port N`. */
export const PORT = '(?: port \\d{1,5})?';

/** Optional `ssh2` protocol suffix (OpenSSH ≤ 9.x prints it after the port; some builds do not). */
export const SSH2 = '(?: ssh\\d)?';

/**
 * End of line: an optional ` [preauth]` (privilege-separated child), an optional `]` closing rsyslog's
 * `message repeated N times: [ … ]` and an optional trailing blank.
 */
export const END = '(?: \\[preauth\\])?\\]? ?$';

/** End of line for rules that only count in the pre-authentication phase. */
export const END_PREAUTH = ' \\[preauth\\]\\]? ?$';

/** A public-key description after `ssh2: `, e.g. `RSA SHA256:…` or the MD5 form of OpenSSH < 6.8. */
export const KEY =
  '(?:: [A-Z][A-Z0-9-]{1,30} (?:SHA256:[A-Za-z0-9+/]{40,88}|(?:MD5:)?[0-9a-f]{2}(?::[0-9a-f]{2}){15}))?';

/** Algorithm classes in `no matching … found` negotiation failures. */
export const ALG = '(?:key exchange method|host key type|cipher|MAC|compression method)';

/** Mode values in which a rule applies. */
export type Mode = 'normal' | 'ddos' | 'extra' | 'aggressive';

/** The `when` clause for a set of modes. */
export function modes(...values: Mode[]): { mode: Mode[] } {
  return { mode: values };
}

/** Every mode except the listed ones. */
export function modesExcept(...values: Mode[]): { mode: Mode[] } {
  return { mode: (['normal', 'ddos', 'extra', 'aggressive'] as Mode[]).filter((m) => !values.includes(m)) };
}
