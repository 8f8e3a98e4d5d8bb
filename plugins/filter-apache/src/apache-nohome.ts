import { defineFilter, type FailRule } from '@portcullis/core';
import { errorRules } from './error-prefix.js';
import { APACHE_PROGRAMS } from './programs.js';

/**
 * `apache-nohome`: probing for user home pages (mod_userdir) that do not exist: `File does not exist:
 * /var/www/~bob` (no such user, fail2ban's apache-nohome) and `File does not exist: /home/bob/public_html`
 * (user without a public_html). A missing file inside an existing public_html is not counted.
 */
const rules: readonly FailRule[] = [
  ...errorRules({
    description: 'File does not exist: …/~user',
    body: 'File does not exist: [^\\s,]*/~',
    literals: ['File does not exist: '],
  }),
  ...errorRules({
    description: 'File does not exist: /home/<user>/public_html',
    body: 'File does not exist: /home/[^/\\s,]+/public_html/?(?:,|$)',
    literals: ['/public_html'],
  }),
];

/** `apache-nohome`. */
export const apacheNohome = defineFilter({
  id: 'apache-nohome',
  description: 'Apache: requests for user home directories that do not exist',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  failregex: rules,
});
