/**
 * Regex fragments shared by the sshd rules. OpenSSH prints user names with `%.100s`, so every user field
 * is bounded to 100 characters: a lazy `.{0,100}?` can only move a bounded distance, which keeps the rules
 * linear on hostile 64 KiB lines, and the fixed daemon text after the host (anchored to the end of the
 * line) decides which `from <host>` is the real peer.
 */

/** A user name as OpenSSH logs it (`%.100s`; may hold spaces and other attacker-written text). */
export const USER = '<F-USER>.{0,100}?</F-USER>';

/**
 * A user name that does not hold ` port N sshV: `: for `Failed <method>` lines, where sshd may append auth
 * info (`: RSA SHA256:…`, hostbased's client user and host) after the peer.
 */
export const USER_NO_AUTH_INFO = '<F-USER>(?:(?! port \\d{1,5} ssh\\d: ).){0,100}?</F-USER>';

/** A user name without blanks: for lines where attacker text follows the host, so the host must come right after. */
export const USER_WORD = '<F-USER>[^\\s]{0,100}</F-USER>';

/**
 * The peer: `<HOST>`, except the word `UNKNOWN`, which sshd prints (`UNKNOWN port 65535`) when the peer
 * address is already gone. A link-local IPv6 peer comes with its zone (`fe80::1%eth0`), which is
 * sshd's (the interface name), not the host: matched but not captured.
 */
export const PEER = '(?!UNKNOWN\\b)<HOST>(?:%[A-Za-z0-9_.-]{1,16})?';

/** Optional ` on <local address> port N` some builds print after the peer (fail2ban's `on \S+`). */
export const ON_LOCAL = '(?: on [^\\s]{1,64} port \\d{1,5})?';

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

/** A key type and fingerprint, e.g. `RSA SHA256:…` or the MD5 form of OpenSSH < 6.8. */
const KEY_FP = '[A-Z][A-Z0-9-]{1,30} (?:SHA256:[^\\s]{1,88}|(?:MD5:)?[0-9a-f]{2}(?::[0-9a-f]{2}){15})';

/**
 * A public-key description after `ssh2: `: `RSA SHA256:…`, or a certificate's `ED25519-CERT SHA256:… ID
 * <key id> (serial N) CA ED25519 SHA256:…`. The key id is the client's text and follows the host, so it
 * may not contain ` from ` (a user name cannot then reach past the real `from <host>`).
 */
export const KEY = `(?:: ${KEY_FP}(?: ID (?:(?! from )[^()]){0,256} \\(serial \\d{1,20}\\) CA ${KEY_FP})?)?`;

/**
 * Hostbased key and the client's claimed user and host (`, client user "u", client host "h"`, each
 * `%.100s` of the client's text): quotes excluded so the fields cannot swallow the daemon's own text.
 */
export const HOSTBASED = `: ${KEY_FP}, client user "[^"]{0,100}", client host "[^"]{0,100}"`;

/**
 * Algorithm classes in `no matching … found` negotiation failures (`key exchange method`, `host key type`,
 * `cipher`, `MAC`, `mac`, `compression method`, and whatever later releases add): sshd's own words.
 */
export const ALG = '(?:MAC|[a-z][a-z ]{0,40}?)';

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
