import { defineFilter, type FailRule } from '@portcullis/core';
import { errorRules } from './error-prefix.js';
import { APACHE_PROGRAMS } from './programs.js';

/**
 * A path that names a script: a component ending in a script extension (`.php`, `.php5`, `.phtml`,
 * `.asp`, `.aspx`, `.exe`, `.pl`, `.cgi`, `.jsp`, `.dll`), a `cgi-bin` directory or a PHP CGI binary
 * (`php5`, `php-cgi`). The lazy `[^\s,]*?`
 * stops at the first such component; nothing follows that could change the client address.
 */
const SCRIPT =
  '/[^\\s,]*?(?:\\.(?:php[3-8s]?|phtml|aspx?|exe|pl|cgi|jsp|dll)|/cgi-bin|/php(?:[45]|[.-]cgi))(?![\\w-])';

/**
 * `apache-noscript`: clients asking for scripts that do not exist (after fail2ban's apache-noscript):
 * `File does not exist: /var/www/x.php` (2.2, 2.4 AH00128 at level info), `script not found or unable to
 * stat: /usr/lib/cgi-bin/x` (mod_cgi AH01264/mod_cgid AH01265), `script '/var/www/x.php' not found or
 * unable to stat` (mod_php), `Got error 'Primary script unknown'` (php-fpm via mod_proxy_fcgi, AH01071;
 * 2.2 with mod_fastcgi: `FastCGI: server "…" stderr: Primary script unknown`; php-cgi under mod_fcgid:
 * `mod_fcgid: stderr: Primary script unknown`; newer php-fpm: `Got error 'Unable to open primary script: /x.php (No
 * such file or directory)'`),
 * and `(2)No such file or directory: exec of '/…' failed` (mod_cgi).
 */
const rules: readonly FailRule[] = [
  ...errorRules({
    description: 'File does not exist / script not found or unable to stat: <script path>',
    body: `(?:File does not exist|script not found or unable to stat): ${SCRIPT}`,
    literals: ['File does not exist: ', 'script not found or unable to stat: '],
  }),
  ...errorRules({
    description: "mod_php: script '…' not found or unable to stat",
    body: "script '[^']*' not found or unable to stat",
    literals: ["' not found or unable to stat"],
  }),
  ...errorRules({
    description: "php-fpm: Got error 'Primary script unknown' (mod_proxy_fcgi), FastCGI stderr (mod_fastcgi)",
    body:
      '(?:Got error \'(?:PHP message: .*?\\\\n)?[Pp]rimary script unknown(?:\\\\n)?\'|FastCGI: server "[^"]*" stderr: [Pp]rimary script unknown' +
      '|mod_fcgid: stderr: [Pp]rimary script unknown)',
    literals: ['rimary script unknown'],
  }),
  ...errorRules({
    // php-fpm (php_fopen_primary_script) when the file is missing; `(Permission denied)` is the server's fault.
    description: "php-fpm: Got error 'Unable to open primary script: … (No such file or directory)'",
    body: "Got error 'Unable to open primary script: [^']*? \\(No such file or directory\\)(?:\\\\n)?'",
    literals: ['Unable to open primary script: '],
    only24: true,
  }),
  ...errorRules({
    description: "mod_cgi: exec of '…' failed (no such file)",
    body: "(?:\\(2\\)No such file or directory: )?exec of '[^']*' failed",
    literals: ["exec of '"],
    errno: '(?: \\(2\\)No such file or directory:)?',
  }),
];

/** `apache-noscript`. */
export const apacheNoscript = defineFilter({
  id: 'apache-noscript',
  description: 'Apache: requests for scripts that do not exist',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  failregex: rules,
});
