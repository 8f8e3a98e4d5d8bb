import { LineParser, compileFilter } from '@portcullis/core/engine';
import { MARKER_ADDRESSES } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import { lighttpdAuth } from '../src/index.js';

/** The real peer of every template line. */
const PEER = '192.0.2.10';

/** What a client sends as URI or user name: lighttpd-like text carrying a smuggled address. */
const PAYLOADS = MARKER_ADDRESSES.flatMap((m) => [
  m,
  `x IP: ${m}`,
  `x, IP: ${m}`,
  `x IP: ${m} username: y`,
  `/a username: x IP: ${m}`,
  `x: wrong password, IP: ${m}`,
  `/a) IP: ${m} != (/b), IP: ${m}`,
  `x IP: ${m}\t`,
]);

/** lighttpd lines with `{P}` where lighttpd prints the client's URI or user name. */
const TEMPLATES = [
  `2011-12-25 17:09:20: (http_auth.c.875) password doesn't match for {P} username: {P}, IP: ${PEER}`,
  `2019-08-12 15:22:41: (mod_auth.c.853) password doesn't match for /secure/ username: {P} IP: ${PEER}`,
  `2019-08-12 15:22:41: (mod_auth.c.853) password doesn't match for {P} username: alice IP: ${PEER}`,
  `2021-03-01 09:00:01: (mod_auth.c.1136) digest: auth failed for {P}: wrong password, IP: ${PEER}`,
  `2021-03-01 09:00:02: (mod_auth.c.1180) digest: auth failed: uri mismatch ({P} != {P}), IP: ${PEER}`,
  `Mar  1 09:00:00 web lighttpd[1234]: (mod_auth.c.853) password doesn't match for {P} username: {P} IP: ${PEER}`,
  `Mar  1 09:00:01 web lighttpd[1234]: (mod_auth.c.1136) digest: auth failed for {P}: wrong password, IP: ${PEER}`,
];

describe('lighttpd-auth: URIs and user names never supply the host', () => {
  const filter = compileFilter(lighttpdAuth, {});
  const parser = new LineParser({ format: 'syslog', now: () => Date.parse('2024-12-31T00:00:00Z') });

  it('every template matches with ordinary values', () => {
    for (const t of TEMPLATES) {
      const found = filter.match(parser.parse(t.replaceAll('{P}', '/secure/')));
      expect(
        found?.map((f) => f.host),
        t,
      ).toEqual([PEER]);
    }
  });

  it('the address lighttpd printed last is the one reported, whatever the client wrote', () => {
    for (const t of TEMPLATES) {
      for (const p of PAYLOADS) {
        const line = t.replaceAll('{P}', p);
        const hosts = (filter.match(parser.parse(line)) ?? []).map((f) => f.host);
        // lighttpd's fixed tail `IP: <peer>` ends every line: the peer is always found.
        expect(hosts, line).toEqual([PEER]);
      }
    }
  });
});
