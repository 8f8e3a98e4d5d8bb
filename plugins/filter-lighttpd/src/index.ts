import { defineFilter, definePlugin } from '@portcullis/core';
import { lighttpdAuthRules } from './patterns.js';

/**
 * `lighttpd-auth`: failed HTTP basic and digest authentication in lighttpd's error log
 * (`/var/log/lighttpd/error.log`) or in syslog (`server.errorlog-use-syslog`).
 */
export const lighttpdAuth = defineFilter({
  id: 'lighttpd-auth',
  description: 'lighttpd: failed basic/digest authentication (mod_auth)',
  programs: ['lighttpd'],
  journalmatch: ['_SYSTEMD_UNIT=lighttpd.service'],
  failregex: lighttpdAuthRules,
});

/** `@portcullis/filter-lighttpd`: the `lighttpd-auth` filter. */
export default definePlugin({ name: '@portcullis/filter-lighttpd', filters: [lighttpdAuth] });
