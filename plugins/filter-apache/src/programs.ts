/**
 * Syslog tags Apache uses (`ErrorLog syslog:…` takes the binary name; `logger -t` pipes often use
 * `apache`/`apache-access`). Lines of other programs are skipped; lines without a program (Apache's own
 * log files) are always read, so these apply for `logging=file` and `logging=syslog` alike.
 */
export const APACHE_PROGRAMS: readonly string[] = [
  'apache2',
  'httpd',
  'apache',
  'httpd2',
  'httpd-prefork',
  'httpd-worker',
  'httpd-event',
  'apache-error',
  'apache-access',
];
