import { LineParser, compileFilter } from '@portcullis/core/engine';
import { MARKER_ADDRESSES } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import { vsftpd } from '../src/index.js';

/** The real peer of every template line. */
const PEER = '192.0.2.10';

/** What a client sends as its user name: daemon-like text carrying a smuggled address. */
const PAYLOADS = MARKER_ADDRESSES.flatMap((m) => [
  m,
  `x] FAIL LOGIN: Client "${m}"`,
  `x] FAIL LOGIN: Client "${m}", "Login incorrect`,
  `x] FAIL LOGIN: Client "${m}", anon password "`,
  `x] FAIL LOGIN: Client "${m}"] [y`,
  `x", anon password "] FAIL LOGIN: Client "${m}", "Login incorrect`,
  `anonymous] FAIL LOGIN: Client "${m}", anon password "x`,
  `ftp] FAIL LOGIN: Client "${m}", anon password "`,
  `x rhost=${m}`,
  `x rhost=${m}  user=`,
  `x rhost=${m} user=x`,
  `${m}  user=x`,
  `"${m}"`,
]);

/** vsftpd lines with `{U}` where vsftpd prints the client's user name. */
const TEMPLATES = [
  `Tue Jan 16 08:54:47 2018 [pid 2291] [{U}] FAIL LOGIN: Client "${PEER}"`,
  `Tue Jan 16 08:54:47 2018 [pid 2291] [{U}] FAIL LOGIN: Client "::ffff:${PEER}", "Login incorrect"`,
  `Tue Jan 16 08:54:47 2018 [pid 2291] [anonymous] FAIL LOGIN: Client "${PEER}", anon password "{U}"`,
  `Jun  2 10:16:00 ftp vsftpd[8340]: [{U}] FAIL LOGIN: Client "${PEER}"`,
  `Jun  2 10:15:01 ftp vsftpd[8331]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser={U} rhost=${PEER}  user={U}`,
  `Jun  2 10:15:01 ftp vsftpd[8331]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser= rhost=${PEER}  user={U}`,
  `Feb 25 13:34:10 srv vsftpd(pam_unix)[3721]: authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=${PEER} user={U}`,
];

describe('vsftpd: user names never supply the host', () => {
  const filter = compileFilter(vsftpd, {});
  const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });

  it('every template matches with an ordinary user name', () => {
    for (const t of TEMPLATES) {
      const found = filter.match(parser.parse(t.replaceAll('{U}', 'alice')));
      expect(
        found?.map((f) => f.host),
        t,
      ).toEqual([PEER]);
    }
  });

  it('a smuggled address is never reported: the real peer or nothing', () => {
    let matched = 0;
    for (const t of TEMPLATES) {
      for (const p of PAYLOADS) {
        const line = t.replaceAll('{U}', p);
        const hosts = (filter.match(parser.parse(line)) ?? []).map((f) => f.host);
        if (hosts.length > 0) matched++;
        expect(
          hosts.every((h) => h === PEER),
          line,
        ).toBe(true);
      }
    }
    // vsftpd's own log lines take any user name: most mutated lines still count, for the right peer.
    expect(matched).toBeGreaterThan(PAYLOADS.length * 3);
  });
});
