import type { FailRule } from '@portcullis/core';
import {
  END,
  HOSTBASED,
  INVALID,
  KEY,
  ON_LOCAL,
  PEER,
  PORT,
  SSH2,
  USER,
  USER_NO_AUTH_INFO,
  USER_WORD,
} from './fragments.js';

/**
 * The end of a PAM `authentication failure` line: `ruser=` (empty from sshd; fail2ban's samples fill it),
 * the peer, and the optional `user=` PAM logs with `%s` (not OpenSSH's `%.100s`, so it may be longer than
 * 100 characters). The user is the last field, after the host, so a long one cannot move the host.
 */
const PAM_TAIL = `ruser=[^\\s]{0,256} rhost=${PEER}(?: {1,2}user=<F-USER>.{0,512}?</F-USER>)?\\]? ?$`;

/**
 * Authentication failures every mode counts: failed methods, unknown and refused users, PAM failures,
 * too many attempts. These rules are tried in order and the first match wins, so the publickey rule
 * comes before the generic `Failed <method>` rule.
 */
export const authRules: readonly FailRule[] = [
  {
    // An invalid user can never log in, so a failed key of one is a failure at once.
    pattern: `^Failed publickey for (?:invalid|illegal) user ${USER} from ${PEER}${PORT}${ON_LOCAL}${SSH2}${KEY}${END}`,
    description: 'Failed publickey for an invalid user',
  },
  {
    // Key probing is how every key-based login starts: clients try their keys one after the other (each
    // logged at LogLevel VERBOSE). Only a connection that ends without `Accepted` counts.
    pattern: `^Failed publickey for ${USER} from ${PEER}${PORT}${ON_LOCAL}${SSH2}${KEY}${END}`,
    kind: 'pending',
    description: 'Failed publickey (counts when the connection ends without success)',
  },
  {
    // The client user/host it claims follow the real peer; quotes are excluded from them (see HOSTBASED).
    pattern: `^Failed hostbased for ${INVALID}${USER} from ${PEER}${PORT}${SSH2}${HOSTBASED}${END}`,
    description: 'Failed hostbased with key and claimed client user/host',
  },
  {
    // A user name that holds ` port N sshV: ` makes the line read two ways (`for U from A port N ssh2: from
    // B port M ssh2` is user `U from A port N ssh2:` at B, or user U at A with auth info after it): neither
    // host can be trusted, so such a line is not matched.
    pattern: `^Failed (?!publickey )[^\\s]{1,64} for ${INVALID}${USER_NO_AUTH_INFO} from ${PEER}${PORT}${ON_LOCAL}${SSH2}${END}`,
    description: 'Failed password / keyboard-interactive / none / hostbased / other method',
  },
  { pattern: `^Invalid user ${USER} from ${PEER}${PORT}${ON_LOCAL}${END}`, description: 'Invalid user' },
  {
    pattern: `^Illegal user ${USER} from ${PEER}${PORT}${ON_LOCAL}${END}`,
    description: 'Illegal user (OpenSSH < 3.9)',
  },
  {
    pattern: `^User ${USER} from ${PEER} not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)${END}`,
    description: 'User not allowed by AllowUsers/DenyUsers/AllowGroups/DenyGroups',
  },
  {
    // authorized_keys `from=` refused the source; the user is a real account (pw_name), the ip is sshd's.
    pattern:
      '^Authentication tried for <F-USER>[^\\s]{1,100}</F-USER> with correct key but not from a permitted host \\(host=[^\\s,]{1,255}, ip=<ADDR>(?:, required=[^\\s)]{0,200})?\\)\\.\\]? ?$',
    description: 'correct key but not from a permitted host (authorized_keys from=)',
  },
  {
    pattern:
      '^Authentication tried for <F-USER>[^\\s]{1,100}</F-USER> with valid certificate but not from a permitted source address \\(<ADDR>\\)\\.\\]? ?$',
    description: 'valid certificate but not from a permitted source address',
  },
  {
    // No host on the line: the host comes from an earlier line of the same sshd process.
    pattern: `^User ${USER} not allowed because (?:account is locked|shell [^\\s]{1,256} (?:does not exist|is not executable)|not listed in AllowUsers|listed in DenyUsers|not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)${END}`,
    description:
      'User not allowed (locked account, missing shell; old forms without host); host from the same process',
  },
  {
    // OpenSSH ≥ 10.0 `RefuseConnection yes` in a Match block (auth2.c): the admin refused this user/source,
    // like DenyUsers. The user is the client's text; the fixed ` port N` tail after the host ends the line.
    pattern: `^administratively prohibited connection for ${INVALID}${USER} from ${PEER} port \\d{1,5}${END}`,
    description: 'administratively prohibited connection for … (RefuseConnection, OpenSSH ≥ 10.0)',
  },
  {
    // The same refusal by a Match on the address, before any user name (sshd-session.c).
    pattern: `^administratively prohibited connection from ${PEER} port \\d{1,5} on [^\\s]{1,64} port \\d{1,5}${END}`,
    description: 'administratively prohibited connection from … (RefuseConnection by address)',
  },
  {
    // `error: PAM: Authentication failure for … from …` (the prefix takes `error: PAM: ` off).
    pattern: `^Authentication (?:failure|error|failed) for ${INVALID}${USER} from ${PEER}(?: via [^\\s]{1,256})?${PORT}${SSH2}${END}`,
    description: 'PAM authentication failure reported by sshd',
  },
  {
    pattern: `^authentication (?:failure|error|failed) for ${INVALID}${USER} from ${PEER}(?: via [^\\s]{1,256})?${PORT}${SSH2}${END}`,
    description: 'PAM authentication failure reported by sshd (lower case)',
  },
  {
    pattern: `^User not known to the underlying authentication module for ${INVALID}${USER} from ${PEER}${PORT}${END}`,
    description: 'PAM: user not known',
  },
  {
    // The host is the first rhost= after the fixed PAM fields; user= at the end is the attacker's.
    pattern: `^pam_[a-z0-9_]{1,32}\\(sshd(?:-session|-auth)?:auth\\): authentication failure; (?:(?:logname|uid|euid|tty)=[^\\s]{0,64} ){0,4}${PAM_TAIL}`,
    literals: [':auth): authentication failure;'],
    // PAM logs the first failure of a connection before sshd logs `Failed password` for the same attempt,
    // and a stack (pam_unix then pam_sss/pam_ldap) logs it for logins that then succeed: pending, so it
    // counts only for a connection that ends with neither.
    kind: 'pending',
    description: 'pam_unix/pam_sss/… (sshd:auth, sshd-session:auth) authentication failure with rhost',
  },
  {
    // Old Linux-PAM (RHEL 4 era): program `sshd(pam_unix)`, message without the module prefix.
    pattern: `^authentication failure; (?:(?:logname|uid|euid|tty)=[^\\s]{0,64} ){0,4}${PAM_TAIL}`,
    kind: 'pending',
    description: 'old PAM format: sshd(pam_unix) authentication failure with rhost',
  },
  {
    // A summary of failures sshd already logged one by one (`Failed password`): remembers the peer only.
    pattern: `^PAM \\d{1,3} more authentication failures?; (?:(?:logname|uid|euid|tty)=[^\\s]{0,64} ){0,4}${PAM_TAIL}`,
    kind: 'note',
    description: 'PAM: N more authentication failures (summary; not counted again)',
  },
  {
    pattern: `^maximum authentication attempts exceeded for ${INVALID}${USER} from ${PEER}${PORT}${SSH2}${END}`,
    description: 'maximum authentication attempts exceeded',
  },
  {
    pattern: `^Disconnecting (?:invalid|authenticating) user ${USER} ${PEER} port \\d{1,5}: Too many authentication failures${END}`,
    forget: true,
    description: 'Disconnecting … user …: Too many authentication failures (OpenSSH ≥ 7.5)',
  },
  {
    // Old form (OpenSSH < 7.5) without a host: the host comes from the same process's earlier lines.
    pattern: `^Disconnecting: Too many authentication failures(?: for ${INVALID}${USER})?${END}`,
    forget: true,
    description: 'Disconnecting: Too many authentication failures (host from the same process)',
  },
  {
    // Attacker text (the requested user/service pairs) follows the host, so the user may not hold blanks.
    pattern: `^Disconnecting(?: from)? (?:invalid|authenticating) user ${USER_WORD} ${PEER}${PORT}: Change of username or service not allowed: `,
    forget: true,
    description: 'Change of username or service not allowed',
  },
  {
    pattern: '^Disconnecting: Change of username or service not allowed: ',
    forget: true,
    description: 'Change of username or service not allowed (old form; host from the same process)',
  },
  {
    pattern: `^ROOT LOGIN REFUSED FROM ${PEER}${PORT}${END}`,
    description: 'ROOT LOGIN REFUSED',
  },
  {
    pattern: `^refused connect from [^\\s]{1,255} \\(${PEER}\\)\\]? ?$`,
    description: 'tcp_wrappers refused connect',
  },
  {
    // The client's reason text follows the host; the host is the first thing after the fixed words.
    pattern: `^Received disconnect from ${PEER}${PORT}: ?3: .{0,512}?Auth fail${END}`,
    forget: true,
    description: 'Received disconnect 3: … Auth fail (JSch and other brute-forcers)',
  },
];
