import { defineFilter } from '@portcullis/core';
import { ACCESS_START, QUOTED, STATUS_TO_AGENT } from './access-line.js';
import { BAD_BOTS } from './bad-bots.js';
import { APACHE_PROGRAMS } from './programs.js';

/** Any of the bad bots, for the look-ahead into the user agent. */
const BOTS = `(?:${BAD_BOTS.join('|')})`;

/**
 * The whole `combined` line: request, status, size, referer, then a user agent that contains a bad bot
 * name and is the last field (`"$`; only numbers may follow: `combinedio`'s `%I %O`, a `%D` or `%T`). The user agent is checked with a look-ahead that stops at its end
 * (escaped quotes are skipped, a real quote ends it), then matched to the end of the line. The client is
 * the first field, written by Apache; nothing the client writes comes before it.
 */
const pattern = `${ACCESS_START}${QUOTED}${STATUS_TO_AGENT}(?=(?:[^"\\\\]|\\\\.)*?${BOTS})${QUOTED}"(?: -?\\d+){0,3}\\s*$`;

/**
 * `apache-badbots`: e-mail harvesters, spam bots and self-announcing vulnerability scanners, from the
 * access log (`combined` or `vhost_combined`; the user agent must be the last field).
 */
export const apacheBadbots = defineFilter({
  id: 'apache-badbots',
  description: 'Apache access log: known bad bots and scanners by user agent',
  programs: APACHE_PROGRAMS,
  journalmatch: ['_SYSTEMD_UNIT=apache2.service', '+', '_SYSTEMD_UNIT=httpd.service'],
  failregex: [{ pattern, literals: ['" "'], description: 'combined access line with a bad bot user agent' }],
});
