import { definePlugin } from '@portcullis/core';
import { apacheAuth } from './apache-auth.js';
import { apacheBadbots } from './apache-badbots.js';
import { apacheBotsearch } from './apache-botsearch.js';
import { apacheNohome } from './apache-nohome.js';
import { apacheNoscript } from './apache-noscript.js';
import { apacheOverflows } from './apache-overflows.js';

export { apacheAuth, apacheBadbots, apacheBotsearch, apacheNohome, apacheNoscript, apacheOverflows };

/**
 * `@portcullis/filter-apache`: `apache-auth`, `apache-badbots`, `apache-noscript`, `apache-overflows`,
 * `apache-nohome`, `apache-botsearch`.
 */
export default definePlugin({
  name: '@portcullis/filter-apache',
  filters: [apacheAuth, apacheBadbots, apacheNoscript, apacheOverflows, apacheNohome, apacheBotsearch],
});
