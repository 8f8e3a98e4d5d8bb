/** Addresses that hostile and injection lines put only where an attacker writes; a filter must never report them. */
export const MARKER_ADDRESSES: readonly string[] = ['203.0.113.66', '2001:db8:bad::66'];

/** Length of each long hostile line. */
export const HOSTILE_LINE_LENGTH = 64 * 1024;

const STARTS = [
  'Failed password for ',
  'Failed password for invalid user ',
  'Invalid user ',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=',
  '[client ',
  'NOQUEUE: reject: RCPT from unknown[',
  '[pid 1] [',
  'authentication failure; user=',
  'Connection closed by authenticating user ',
  '',
];

const FRAGMENTS = [
  'from ',
  ' ',
  '[',
  '::',
  'rhost=',
  'user=',
  'port ',
  'Failed password for ',
  'Invalid user ',
  '[[[]]',
  '1:2:3:4:5:6:7:',
  '1.2.3.',
  'from 203.0.113.66 ',
  'rhost=2001:db8:bad::66 ',
  '[client 203.0.113.66:1] ',
  'a-b.c',
  ':1',
  '0',
  'user=root rhost=203.0.113.66 ',
  '" Client "203.0.113.66',
];

const ENDS = ['', ' port 22 ssh2', ' from 203.0.113.66', ' rhost=2001:db8:bad::66', ']'];

/**
 * 200 lines of 64 KiB built to make badly written regexes backtrack: a realistic message start, then one
 * fragment repeated (`from `, spaces, `[`, `::`, `rhost=`, …, long IPv6-like runs, nested brackets), then a
 * realistic or missing end. Messages only: callers add the syslog header of the filter's program.
 */
export function hostileLines(): string[] {
  const out: string[] = [];
  for (let s = 0; s < STARTS.length; s++) {
    for (let f = 0; f < FRAGMENTS.length; f++) {
      const start = STARTS[s]!;
      const end = ENDS[(s + f) % ENDS.length]!;
      const fragment = FRAGMENTS[f]!;
      const room = HOSTILE_LINE_LENGTH - start.length - end.length;
      out.push(start + fragment.repeat(Math.ceil(room / fragment.length)).slice(0, room) + end);
    }
  }
  return out;
}

/**
 * Short lines shaped like real daemon messages whose attacker-controlled parts (user names, URIs, HELO
 * names, rusers) carry a marker address; the real client is always 192.0.2.7 / 2001:db8::7.
 */
export function injectionLines(): string[] {
  const lines: string[] = [];
  for (const m of MARKER_ADDRESSES) {
    lines.push(
      `Failed password for invalid user x from ${m} port 22 ssh2 from 192.0.2.7 port 4022 ssh2`,
      `Failed password for x from ${m} port 22 ssh2 from 192.0.2.7 port 4022 ssh2`,
      `Failed none for invalid user from ${m} port 22 from 2001:db8::7 port 4022 ssh2`,
      `Invalid user x from ${m} port 22 from 192.0.2.7 port 4022`,
      `Invalid user x from ${m} from 192.0.2.7`,
      `Connection closed by authenticating user x ${m} port 22 [preauth] 192.0.2.7 port 4022 [preauth]`,
      `Disconnected from invalid user x ${m} port 22 192.0.2.7 port 4022 [preauth]`,
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=x rhost=${m} rhost=192.0.2.7  user=root`,
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7  user=x rhost=${m}`,
      `User x from ${m} not allowed because not listed in AllowUsers from 192.0.2.7`,
      `error: maximum authentication attempts exceeded for invalid user x from ${m} port 22 ssh2 from 192.0.2.7 port 4022 ssh2 [preauth]`,
      `[auth_basic:error] [pid 1:tid 2] [client 192.0.2.7:5022] AH01618: user x [client ${m}:1] not found: /`,
      `[auth_basic:error] [pid 1:tid 2] [client 192.0.2.7:5022] AH01617: user x [client ${m}:1]: authentication failure for "/": Password Mismatch`,
      `[pid 1] [x] Client "${m}"] FAIL LOGIN: Client "192.0.2.7"`,
      `[pid 1] [x"] FAIL LOGIN: Client "${m}"] FAIL LOGIN: Client "192.0.2.7"`,
      `NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 <x@[${m}]>: Relay access denied; from=<a@[${m}]> to=<b@[${m}]> proto=ESMTP helo=<[${m}]>`,
      `warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: x unknown[${m}]: SASL LOGIN authentication failed`,
      `LOGIN FAILED, user=x, ip=[${m}], ip=[192.0.2.7]`,
      `192.0.2.7 - x ${m} - "GET /${m} HTTP/1.1" 401 0 "${m}" "${m}"`,
      `(mod_auth.c.828) password doesn't match for /${m} username: x ${m}, IP: 192.0.2.7`,
    );
  }
  return lines;
}
