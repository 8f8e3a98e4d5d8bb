// fail2ban's own filters, read by the compat loader, over fail2ban's annotated sample logs: each annotated line
// must give the match, host and time fail2ban's tests expect. Needs Debian's fail2ban package (required in CI).
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../src/filters/compile-filter.js';
import { loadFail2banFilter } from '../src/filters/fail2ban/load-fail2ban-filter.js';
import { LineParser } from '../src/parsing/line-parser.js';
import type { LogLine } from '../src/contract/log-line.js';
import { FAIL2BAN_SAMPLES, TEST_NOW, TEST_TZ, readSamples } from './fail2ban-samples.js';

const FILTER_DIR = '/etc/fail2ban/filter.d';
const present = existsSync(FILTER_DIR) && existsSync(FAIL2BAN_SAMPLES);
if (!present && process.env.CI === 'true') throw new Error('fail2ban is not installed: CI needs its filter.d and sample logs (apt-get install fail2ban)');
if (!present) console.log('skipping fail2ban conformance: the fail2ban package is not installed');

export interface FilterScore {
  readonly name: string;
  readonly lines: number;
  readonly agree: number;
  readonly refused?: string | undefined;
  readonly misses: string[];
}

/** Runs one filter over its samples: agreement per annotated line (and option set). */
export function scoreFilter(name: string): FilterScore {
  const samples = readSamples(name);
  let lines = 0;
  let agree = 0;
  const misses: string[] = [];
  const groups = new Map<string, { opts: Readonly<Record<string, string>>; items: typeof samples }>();
  for (const s of samples) {
    for (const opts of s.optionSets) {
      const key = JSON.stringify(opts);
      const g = groups.get(key) ?? { opts, items: [] };
      g.items.push(s);
      groups.set(key, g);
    }
  }
  for (const { opts, items } of groups.values()) {
    let filter: ReturnType<typeof compileFilter>;
    try {
      filter = compileFilter(loadFail2banFilter(`${FILTER_DIR}/${name}.conf`, { vars: opts }), undefined, { now: () => TEST_NOW });
    } catch (e) {
      return { name, lines: samples.length, agree: 0, refused: (e as Error).message.split('\n')[0], misses };
    }
    const journal = opts.logtype === 'journal';
    const parser = new LineParser({ format: 'auto', now: () => TEST_NOW });
    for (const s of items) {
      lines++;
      const line: LogLine = journal ? { raw: s.line, message: s.line, time: TEST_NOW } : parser.parse(s.line);
      const found = filter.match(line) ?? [];
      const hit = found.find((f) => f.line.raw === s.line) ?? found[found.length - 1];
      let ok = hit !== undefined === s.match;
      if (ok && hit && s.host !== undefined && hit.host !== s.host) ok = false;
      if (ok && hit && s.time !== undefined && hit.time !== new Date(s.time).getTime()) ok = false;
      if (ok) agree++;
      else misses.push(`${s.file}:${s.lineno} ${JSON.stringify(opts)} want ${s.match ? `${s.host} ${s.time}` : 'no match'}, got ${hit ? `${hit.host} ${Number.isFinite(hit.time) ? new Date(hit.time).toString().slice(4, 24) : "no time"}` : 'no match'}`);
    }
  }
  return { name, lines, agree, misses };
}

/**
 * Filters that agree with every annotated line today. The others differ mostly where fail2ban's date templates
 * read a line differently from ours (Apache's `[…]` brackets, `{DATE}` placeholders); see the printed table.
 */
const AGREE_FULLY = [
  'apache-badbots', 'centreon', 'counter-strike', 'courier-auth', 'cyrus-imap', 'directadmin', 'dropbear', 'drupal-auth',
  'froxlor-auth', 'grafana', 'gssftpd', 'haproxy-http-auth', 'kerio', 'lighttpd-auth', 'nagios', 'nginx-http-auth',
  'nginx-limit-req', 'openhab', 'pam-generic', 'perdition', 'php-url-fopen', 'phpmyadmin-syslog', 'pure-ftpd', 'qmail',
  'scanlogd', 'selinux-ssh', 'sieve', 'solid-pop3d', 'squirrelmail', 'suhosin', 'uwimap-auth', 'webmin-auth', 'wuftpd',
  'xinetd-fail', 'znc-adminlog',
];
/** Refused with the construct JavaScript (or the engine) lacks — never run with a different meaning. */
const REFUSED = { sshd: /conditional groups/, 'mongodb-auth': /SKIPLINES/, slapd: /SKIPLINES/ };

describe.skipIf(!present)("fail2ban's filters over fail2ban's sample logs", () => {
  it('agree with the annotations', () => {
    process.env.TZ = TEST_TZ;
    const names = readdirSync(FILTER_DIR)
      .filter((f) => f.endsWith('.conf') && f !== 'common.conf' && existsSync(`${FAIL2BAN_SAMPLES}/${f.slice(0, -5)}`))
      .map((f) => f.slice(0, -5))
      .sort();
    const scores = names.map(scoreFilter);
    const table = scores.map((s) => `${s.name.padEnd(22)} ${String(s.agree).padStart(4)}/${String(s.lines).padEnd(4)} ${s.refused ? `refused: ${s.refused}` : `${((100 * s.agree) / Math.max(1, s.lines)).toFixed(1)}%`}`);
    console.log(table.join('\n'));
    for (const s of scores) if (!s.refused && s.agree < s.lines) console.log(`${s.name}:\n  ${s.misses.slice(0, 5).join('\n  ')}`);
    const by = new Map(scores.map((s) => [s.name, s]));
    for (const name of AGREE_FULLY) expect({ name, misses: by.get(name)?.misses, refused: by.get(name)?.refused }).toEqual({ name, misses: [], refused: undefined });
    for (const [name, reason] of Object.entries(REFUSED)) expect(by.get(name)?.refused).toMatch(reason);
  });
});
