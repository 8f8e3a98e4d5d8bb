import { defineFilter, type FailRule } from '@portcullis/core';
import { ACCESS_START } from './access-line.js';
import { BOT_PATH, DOCROOT } from './bot-paths.js';
import { errorRules } from './error-prefix.js';
import { APACHE_PROGRAMS } from './programs.js';

/**
 * `apache-botsearch`: requests for well-known paths of admin tools and exploits that this server does not
 * have. As in fail2ban, from the error log: `File does not exist: <docroot>/phpmyadmin` (2.2, and 2.4's
 * AH00128 at LogLevel info), `script not found or unable to stat: …`, `script '<docroot>/wp-login.php' not
 * found or unable to stat`. In addition, from the access log: a `404` answer to `GET|POST|HEAD /<probe>` (scanners often write `//<probe>`)
 * (the client is the line's first field, the request is quoted and escaped by Apache).
 */
const rules: readonly FailRule[] = [
  ...errorRules({
    description: 'File does not exist / script not found: <docroot>/<probe>',
    body: `(?:File does not exist|script not found or unable to stat): ${DOCROOT}${BOT_PATH}`,
    literals: ['File does not exist: ', 'script not found or unable to stat: '],
  }),
  ...errorRules({
    description: "script '<docroot>/<probe>' not found or unable to stat",
    body: `script '${DOCROOT}${BOT_PATH}[^']*' not found or unable to stat`,
    literals: ["' not found or unable to stat"],
  }),
  {
    description: 'access log: 404 for /<probe>',
    pattern: `${ACCESS_START}(?:GET|POST|HEAD) /+${BOT_PATH}[^\\s"]* HTTP/\\d(?:\\.\\d)?" 404 `,
    literals: ['" 404 '],
  },
];

/** `apache-botsearch`. */
export const apacheBotsearch = defineFilter({
  id: 'apache-botsearch',
  description: 'Apache: bots probing for admin tools and exploitable paths',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  failregex: rules,
});
