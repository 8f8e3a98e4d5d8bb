import type { FailRule } from '@portcullis/core';

/**
 * `(http_auth.c.875) ` (lighttpd ≤ 1.4.3x), `(mod_auth.c.853) ` (1.4.4x and later) or another source file
 * of the auth modules (`mod_authn_file.c`, `mod_authn_ldap.c`, …): the log position lighttpd prints. Some
 * 1.4.5x builds lost the opening parenthesis (`mod_auth.c.828) …`). lighttpd writes its own date in front
 * when it logs to a file or to stderr; with no `server.errorlog`, stderr goes to the journal and the date
 * (`2024-03-01 09:00:05: `, `.123456789` with `server.errorlog-high-precision`) stays in `MESSAGE`.
 */
const SOURCE =
  '^(?:\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9})?: )?(?:: )?\\(?(?:http_auth|mod_auth[a-z_]*)\\.c\\.\\d+\\) ';

/**
 * The failure rules of the `lighttpd-auth` filter, applied to lighttpd's error log (`server.errorlog`,
 * date `2011-12-25 17:09:20: ` removed by the engine) or its syslog lines.
 *
 * The URI and the user name are written by the client. lighttpd prints the address last, so every rule
 * ends with the fixed `IP: <address>` at the end of the line: a user name that contains `IP: 203.0.113.66`
 * cannot move the address taken. The URI may not contain ` username: ` (a tempered token keeps the
 * match linear); a user name is matched lazily up to the last fixed tail.
 */
export const lighttpdAuthRules: readonly FailRule[] = [
  {
    description: "basic: password doesn't match (with or without the comma before IP)",
    pattern: `${SOURCE}password doesn't match for (?:(?! username: ).)* username: <F-USER>.*?</F-USER>(?: ,|,)? IP: <ADDR>\\s*$`,
    literals: ["password doesn't match for "],
  },
  {
    description: "digest: wrong password (user plain, or quoted as `user' since 1.4.5x)",
    pattern: `${SOURCE}digest: auth failed for  ?(?:\`<F-USER>[^'\`]*</F-USER>['\`]|<F-USER>.*?</F-USER>) ?: wrong password, IP: <ADDR>\\s*$`,
    literals: ['digest: auth failed for'],
  },
  {
    description: 'digest: uri mismatch',
    pattern: `${SOURCE}digest: auth failed: uri mismatch \\(.*\\), IP: <ADDR>\\s*$`,
    literals: ['digest: auth failed: uri mismatch ('],
  },
  {
    description: 'get_password failed (unknown user)',
    pattern: `${SOURCE}get_password failed, IP: <ADDR>\\s*$`,
    literals: ['get_password failed, IP: '],
  },
];
