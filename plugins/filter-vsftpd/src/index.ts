import { defineFilter, definePlugin } from '@portcullis/core';
import { vsftpdRules } from './patterns.js';

/**
 * `vsftpd`: failed FTP logins, from vsftpd's own log (`/var/log/vsftpd.log`) or from syslog / the
 * journal (vsftpd's own lines with `syslog_enable=YES`, and PAM's `authentication failure` lines).
 */
export const vsftpd = defineFilter({
  id: 'vsftpd',
  description: 'vsftpd: failed FTP logins (vsftpd log and PAM)',
  programs: ['vsftpd', 'vsftpd(pam_unix)'],
  journalmatch: ['_SYSTEMD_UNIT=vsftpd.service', '+', '_COMM=vsftpd'],
  failregex: vsftpdRules,
});

/** `@portcullis/filter-vsftpd`: the `vsftpd` filter. */
export default definePlugin({ name: '@portcullis/filter-vsftpd', filters: [vsftpd] });
