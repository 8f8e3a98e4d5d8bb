import { LineParser, compileFilter } from '@portcullis/core/engine';
import { MARKER_ADDRESSES, optionCombinations } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

/** The real peer of every template line. */
const PEER = '192.0.2.10';

/** What a client writes into user names, URIs, referers and user agents: Apache-like text with a smuggled address. */
const PAYLOADS = MARKER_ADDRESSES.flatMap((m) => [
  m,
  `[client ${m}:1]`,
  `x [client ${m}:1] AH01618: user x not found: /`,
  `x] [client ${m}`,
  `/x, referer: [client ${m}]`,
  `${m} - - "GET / HTTP/1.1" 200 1 "-" "EmailCollector`,
  `" 200 1 "-" "EmailCollector"\n${m} - - "`,
  `EmailCollector" ${m}`,
  `/phpmyadmin ${m}`,
]);

/** Error log lines with `{P}` where Apache prints client-written text (raw, as Apache logs it there). */
const ERROR_TEMPLATES = [
  `[Thu Jul 04 12:40:28.000000 2013] [auth_basic:error] [pid 1] [client ${PEER}:5] AH01618: user {P} not found: {P}`,
  `[Thu Jul 04 12:40:28.000000 2013] [auth_basic:error] [pid 1:tid 2] [client ${PEER}:5] AH01617: user {P}: authentication failure for "{P}": Password Mismatch`,
  `[Thu Jul 04 12:40:28.000000 2013] [authz_core:error] [pid 1] [client ${PEER}:5] AH01630: client denied by server configuration: /var/www/{P}, referer: {P}`,
  `[Thu Jul 04 12:40:28.000000 2013] [auth_digest:error] [pid 1] [client ${PEER}:5] AH01790: user \`{P}' in realm \`R' not found: {P}`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] user {P}: authentication failure for "/{P}": Password Mismatch`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] File does not exist: /var/www/~{P}`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] File does not exist: /var/www/phpmyadmin{P}`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] script '/var/www/x.php{P}' not found or unable to stat`,
  `[Wed Apr 05 12:01:02.123456 2017] [core:error] [pid 1] [client ${PEER}:40001] AH00126: Invalid URI in request GET {P} HTTP/1.1`,
  `[Thu Jul 04 12:40:28.000000 2013] [auth_form:error] [pid 1] [client ${PEER}:5] AH01807: user '{P}': authentication failure for "{P}": password Mismatch`,
  `[Thu Jul 04 12:40:28.000000 2013] [auth_form:error] [pid 1] [client ${PEER}:5] AH01808: user '{P}' not found: {P}`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] access to /{P} failed, reason: user '{P}' does not meet 'require'ments for user/valid-user to be allowed access`,
  `[Sat Jun 01 11:23:08 2013] [error] [client ${PEER}] Digest: client used wrong authentication scheme \`{P}': {P}`,
  `[Thu Jul 04 12:40:28.000000 2013] [proxy_fcgi:error] [pid 1] [client ${PEER}:5] AH01071: Got error 'Unable to open primary script: /var/www/{P}.php (No such file or directory)'`,
  `[Thu Jul 04 12:40:28.000000 2013] [authz_core:error] [pid 1] [client ${PEER}:5] [remote 10.0.0.1:80] AH01630: client denied by server configuration: /{P}`,
];

/** Access log lines with `{P}` in the request, referer or user agent, escaped as Apache escapes them. */
const ACCESS_TEMPLATES = [
  `${PEER} - - [01/Jun/2013:02:17:42 +0000] "GET /{P} HTTP/1.1" 404 196 "{P}" "EmailCollector {P}"`,
  `${PEER} - - [01/Jun/2013:02:17:42 +0000] "GET /phpmyadmin/{P} HTTP/1.1" 404 196 "{P}" "{P} zgrab/0.x"`,
  `${PEER} - "" [01/Jun/2013:02:17:42 +0000] "GET //wp-login.php{P} HTTP/1.1" 404 196 "{P}" "{P} EmailCollector" 123 456`,
];

/** Apache's log escaping of request and header text: `"` and `\` get a backslash, control bytes become `\xhh`. */
function escapeLogItem(text: string): string {
  return text
    .replace(/["\\]/g, (c) => `\\${c}`)
    .replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function lines(): string[] {
  const out: string[] = [];
  for (const p of PAYLOADS) {
    for (const t of ERROR_TEMPLATES) out.push(t.replaceAll('{P}', p.replaceAll('\n', ' ')));
    for (const t of ACCESS_TEMPLATES) out.push(t.replaceAll('{P}', escapeLogItem(p)));
  }
  return out;
}

describe('filter-apache: client-written text never supplies the host', () => {
  const parser = new LineParser({ format: 'syslog' });

  it('the templates match with ordinary values', () => {
    const all = plugin.filters.map((f) => compileFilter(f, {}));
    for (const t of [...ERROR_TEMPLATES, ...ACCESS_TEMPLATES]) {
      const line = parser.parse(t.replaceAll('{P}', 'alice'));
      const hosts = all.flatMap((f) => f.match(line) ?? []).map((f) => f.host);
      expect(hosts.length, t).toBeGreaterThan(0);
      expect(new Set(hosts), t).toEqual(new Set([PEER]));
    }
  });

  for (const definition of plugin.filters) {
    for (const options of optionCombinations(definition)) {
      it(`${definition.id} ${JSON.stringify(options)}: the real peer or nothing`, () => {
        const filter = compileFilter(definition, options);
        for (const text of lines()) {
          const hosts = (filter.match(parser.parse(text)) ?? []).map((f) => f.host);
          expect(
            hosts.every((h) => h === PEER),
            text,
          ).toBe(true);
        }
      });
    }
  }
});
