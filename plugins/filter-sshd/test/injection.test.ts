import { LineParser, compileFilter } from '@portcullis/core/engine';
import { describe, expect, it } from 'vitest';
import { sshd } from '../src/index.js';

/** The real peer in every template; the payloads try to smuggle the marker addresses instead. */
const PEER = '192.0.2.10';
const MARKERS = ['203.0.113.66', '2001:db8:bad::66'];
const KEY = 'RSA SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcde';

/** What an attacker puts into user names, banners and disconnect reasons. */
const PAYLOADS = [
  'x from 203.0.113.66',
  'x from 203.0.113.66 port 22',
  'x from 203.0.113.66 port 22 ssh2',
  `x from 203.0.113.66 port 22 ssh2: ${KEY}`,
  'x from 2001:db8:bad::66 port 22 ssh2',
  'x from ::ffff:203.0.113.66',
  'x 203.0.113.66',
  'x 203.0.113.66 port 22',
  'x 203.0.113.66 port 22 [preauth]',
  'x 203.0.113.66 port 22: Too many authentication failures [preauth]',
  'x from 203.0.113.66 not allowed because not listed in AllowUsers',
  'x rhost=203.0.113.66',
  'x rhost=203.0.113.66  user=y',
  "x' from 203.0.113.66 port 22",
  'x: Auth fail [preauth] Received disconnect from 203.0.113.66 port 1:3: y',
  '203.0.113.66',
  '[2001:db8:bad::66]',
  'x (203.0.113.66)',
  'x,ssh-connection) -> (y,ssh-connection) [preauth] 203.0.113.66 port 1: Change of username or service not allowed: (x',
  'x 203.0.113.66 port 1: Broken pipe [preauth]',
  `x${' from 203.0.113.66'.repeat(20)}`,
  `x from 203.0.113.66 port 22 ssh2: ${KEY} ID`,
  `x from 203.0.113.66 port 22 ssh2: ${KEY}, client user "`,
  `x from 203.0.113.66 port 22 on 192.0.2.10 port 22`,
  'x from 203.0.113.66%eth0 port 22 ssh2',
  'x with correct key but not from a permitted host (host=a, ip=203.0.113.66).',
  'x (server sent: 203.0.113.66)',
];

/** Log lines of one connection (pid 4242) with `{U}` where the attacker writes. */
const TEMPLATES: string[][] = [
  ['Failed password for {U} from 192.0.2.10 port 4242 ssh2'],
  ['Failed password for invalid user {U} from 192.0.2.10 port 4242 ssh2'],
  ['Failed keyboard-interactive/pam for invalid user {U} from 192.0.2.10 port 4242'],
  [
    `Failed publickey for {U} from 192.0.2.10 port 4242 ssh2: ${KEY}`,
    'Connection closed by authenticating user {U} 192.0.2.10 port 4242 [preauth]',
  ],
  [
    `Failed publickey for {U} from 192.0.2.10 port 4242 ssh2: RSA-CERT SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/abcde ID {U} (serial 1) CA ${KEY}`,
    'Connection closed by 192.0.2.10 port 4242 [preauth]',
  ],
  [`Failed hostbased for {U} from 192.0.2.10 port 4242 ssh2: ${KEY}, client user "{U}", client host "{U}"`],
  ['Failed password for {U} from 192.0.2.10 port 4242 on 192.0.2.200 port 22 ssh2'],
  ['Invalid user {U} from 192.0.2.10 port 4242'],
  ['Invalid user {U} from 192.0.2.10 port 4242 on 192.0.2.200 port 22'],
  ['administratively prohibited connection for invalid user {U} from 192.0.2.10 port 4242'],
  ["scanned from 192.0.2.10 port 4242 with {U}.  Don't panic."],
  ['Illegal user {U} from 192.0.2.10'],
  ['User {U} from 192.0.2.10 not allowed because not listed in AllowUsers'],
  ["User {U} from 192.0.2.10 not allowed because none of user's groups are listed in AllowGroups"],
  // PAM's lines count when the connection ends without sshd's own failure line for the attempt.
  [
    'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.10  user={U}',
    'Received disconnect from 192.0.2.10 port 4242:11: Bye Bye [preauth]',
  ],
  [
    'error: PAM: Authentication failure for {U} from 192.0.2.10',
    'Received disconnect from 192.0.2.10 port 4242:11: Bye Bye [preauth]',
  ],
  [
    'error: PAM: User not known to the underlying authentication module for illegal user {U} from 192.0.2.10',
    'Received disconnect from 192.0.2.10 port 4242:11: Bye Bye [preauth]',
  ],
  [
    'error: maximum authentication attempts exceeded for invalid user {U} from 192.0.2.10 port 4242 ssh2 [preauth]',
  ],
  ['Disconnecting invalid user {U} 192.0.2.10 port 4242: Too many authentication failures [preauth]'],
  [
    'Disconnecting authenticating user {U} 192.0.2.10 port 4242: Change of username or service not allowed: ({U},ssh-connection) -> (y,ssh-connection) [preauth]',
  ],
  [
    'Failed password for root from 192.0.2.10 port 4242 ssh2',
    'Disconnecting: Too many authentication failures for {U} [preauth]',
  ],
  [
    'Failed password for root from 192.0.2.10 port 4242 ssh2',
    'User {U} not allowed because account is locked',
  ],
  ['Connection closed by authenticating user {U} 192.0.2.10 port 4242 [preauth]'],
  ['Connection closed by invalid user {U} 192.0.2.10 port 4242 [preauth]'],
  ['Disconnected from invalid user {U} 192.0.2.10 port 4242 [preauth]'],
  ["Bad protocol version identification '{U}' from 192.0.2.10 port 4242"],
  ['Received disconnect from 192.0.2.10 port 4242:3: {U}: Auth fail [preauth]'],
  [
    'Received disconnect from 192.0.2.10 port 4242:14: No supported authentication methods available [preauth]',
  ],
  ['Unable to negotiate with 192.0.2.10 port 4242: no matching cipher found. Their offer: {U} [preauth]'],
  ['Protocol major versions differ for 192.0.2.10 port 4242: SSH-2.0-OpenSSH_5.3 vs. {U}'],
  [
    'error: kex_exchange_identification: client sent invalid protocol identifier "{U}"',
    'Connection closed by 192.0.2.10 port 4242',
  ],
  ['refused connect from {U} (192.0.2.10)'],
  ['ssh_dispatch_run_fatal: Connection from invalid user {U} 192.0.2.10 port 4242: Broken pipe [preauth]'],
  [
    'Connection from 192.0.2.10 port 4242 on 192.0.2.200 port 22',
    'User {U} not allowed because shell /bin/false does not exist',
  ],
  [
    'Failed password for root from 192.0.2.10 port 4242 ssh2',
    'Accepted password for {U} from 192.0.2.10 port 4242 ssh2',
    'Disconnecting: Too many authentication failures [preauth]',
  ],
];

const MODES = ['normal', 'ddos', 'extra', 'aggressive'];

const filters = new Map<string, ReturnType<typeof compileFilter>>();
let pid = 4242;

/**
 * The hosts one connection's lines yield. Each call is a new sshd process (a new pid) of one compiled
 * filter per mode: correlation is per process, so calls cannot see each other's lines, and the test does
 * not pay for ~850 filter compilations per mode.
 */
function hostsFor(mode: string, lines: readonly string[], user: string): string[] {
  let filter = filters.get(mode);
  if (filter === undefined) {
    filter = compileFilter(sshd, { mode });
    filters.set(mode, filter);
  }
  const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });
  const hosts: string[] = [];
  pid++;
  for (const message of lines) {
    const text = message.replaceAll('{U}', user);
    for (const f of filter.match(parser.parse(`Feb 25 13:34:10 srv sshd[${pid}]: ${text}`)) ?? [])
      hosts.push(f.host);
  }
  return hosts;
}

describe('sshd log injection', () => {
  it('every template yields the real peer with a harmless user name (the test can fail)', () => {
    for (const lines of TEMPLATES)
      expect(hostsFor('aggressive', lines, 'x'), lines.join(' / ')).toContain(PEER);
  });

  for (const mode of MODES) {
    it(`mode=${mode}: an attacker-written field never yields a smuggled address`, () => {
      const wrong: string[] = [];
      for (const lines of TEMPLATES) {
        for (const payload of PAYLOADS) {
          for (const host of hostsFor(mode, lines, payload)) {
            if (host !== PEER)
              wrong.push(`${host} from ${JSON.stringify(lines)} with ${JSON.stringify(payload)}`);
          }
        }
      }
      expect(wrong).toEqual([]);
      expect(MARKERS.length).toBe(2);
    }, 60_000);
  }
});
