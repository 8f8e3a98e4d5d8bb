// fail2ban's own filters, read by the compat loader, over fail2ban's annotated sample logs: each annotated line
// must give the match, host and time fail2ban's tests expect. Needs Debian's fail2ban package (required in CI).
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFilter } from '../src/filters/compile-filter.js';
import { loadFail2banFilter } from '../src/filters/fail2ban/load-fail2ban-filter.js';
import { LineParser } from '../src/parsing/line-parser.js';
import type { LogLine } from '../src/contract/log-line.js';
import { FAIL2BAN_SAMPLES, TEST_NOW, TEST_TZ, journalLine, readSamples } from './fail2ban-samples.js';

const FILTER_DIR = '/etc/fail2ban/filter.d';
const present = existsSync(FILTER_DIR) && existsSync(FAIL2BAN_SAMPLES);
if (!present && process.env.CI === 'true') throw new Error('fail2ban is not installed: CI needs its filter.d and sample logs (apt-get install fail2ban)');
if (!present) console.log('skipping fail2ban conformance: the fail2ban package is not installed');

export interface FilterScore {
  readonly name: string;
  readonly lines: number;
  readonly agree: number;
  /**
   * Lines not reported on purpose: fail2ban's host is one no failure may name (`0.0.0.0`), or the line holds
   * a second address the same rule would take (injected text could choose the host).
   */
  readonly deliberate: number;
  readonly twoAddresses: number;
  readonly refused?: string | undefined;
  readonly misses: string[];
}

/** Hosts Portcullis never reports (see `isUnreportable`): `0.0.0.0/8`, multicast, broadcast, `::`. */
const UNREPORTABLE = /^(?:0\.|2(?:2[4-9]|3\d)\.|255\.255\.255\.255$|::$)/;

/** Runs one filter over its samples: agreement per annotated line (and option set). */
export function scoreFilter(name: string): FilterScore {
  const samples = readSamples(name);
  let lines = 0;
  let agree = 0;
  let deliberate = 0;
  let twoAddresses = 0;
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
      return { name, lines: samples.length, agree: 0, deliberate: 0, twoAddresses: 0, refused: (e as Error).message.split('\n')[0], misses };
    }
    const journal = opts.logtype === 'journal';
    const parser = new LineParser({ format: 'auto', now: () => TEST_NOW });
    for (const s of items) {
      lines++;
      const line: LogLine = journal ? journalLine(s.line, TEST_NOW) : parser.parse(s.line);
      const found = filter.match(line) ?? [];
      const hit = found.find((f) => f.line.raw === s.line) ?? found[found.length - 1];
      let ok = hit !== undefined === s.match;
      if (ok && hit && s.host !== undefined && hit.host !== s.host.toLowerCase()) ok = false;
      if (ok && hit && s.time !== undefined && hit.time !== localTime(s.time)) ok = false;
      if (ok) agree++;
      else if (hit === undefined && s.match && s.host !== undefined && UNREPORTABLE.test(s.host)) deliberate++;
      else if (hit === undefined && s.match && new Set(s.line.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? []).size >= 2) twoAddresses++;
      else misses.push(`${s.file}:${s.lineno} ${JSON.stringify(opts)} want ${s.match ? `${s.host} ${s.time}` : 'no match'}, got ${hit ? `${hit.host} ${Number.isFinite(hit.time) ? new Date(hit.time).toString().slice(4, 24) : "no time"}` : 'no match'}`);
    }
  }
  return { name, lines, agree, deliberate, twoAddresses, misses };
}

/** An annotation's local time (`2005-03-7T02:09:33`: fields need not be zero-padded) in ms. */
function localTime(text: string): number {
  const [y, mo, d, h, mi, sec] = text.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, Math.floor(sec)).getTime();
}

/** Refused with the construct JavaScript (or the engine) lacks — never run with a different meaning. */
const REFUSED = { sshd: /conditional groups/ };

describe.skipIf(!present)("fail2ban's filters over fail2ban's sample logs", () => {
  it('agree with the annotations', () => {
    process.env.TZ = TEST_TZ;
    const names = readdirSync(FILTER_DIR)
      .filter((f) => f.endsWith('.conf') && f !== 'common.conf' && existsSync(`${FAIL2BAN_SAMPLES}/${f.slice(0, -5)}`))
      .map((f) => f.slice(0, -5))
      .sort();
    const scores = names.map(scoreFilter);
    const table = scores.map(
      (s) =>
        `${s.name.padEnd(22)} ${String(s.agree).padStart(4)}/${String(s.lines).padEnd(4)} ${
          s.refused ? `refused: ${s.refused}` : `${((100 * s.agree) / Math.max(1, s.lines)).toFixed(1)}%${s.deliberate ? ` (${s.deliberate} with an unbannable host, not reported on purpose)` : ''}${s.twoAddresses ? ` (${s.twoAddresses} with two addresses the rule could take, not reported on purpose)` : ''}`
        }`,
    );
    const run = scores.filter((s) => !s.refused);
    const total = run.reduce((n, s) => n + s.lines, 0);
    const agreed = run.reduce((n, s) => n + s.agree, 0);
    console.log(`${table.join('\n')}\n${run.length} filters run, ${agreed}/${total} annotated line-runs agree`);
    for (const s of run) if (s.misses.length) console.log(`${s.name}:\n  ${s.misses.slice(0, 5).join('\n  ')}`);
    // Strict: every filter that runs agrees on every annotated line, apart from unbannable hosts.
    for (const s of run) expect({ name: s.name, misses: s.misses }).toEqual({ name: s.name, misses: [] });
    expect(Object.fromEntries(scores.filter((s) => s.deliberate).map((s) => [s.name, s.deliberate]))).toEqual({ assp: 10 });
    expect(Object.fromEntries(scores.filter((s) => s.twoAddresses).map((s) => [s.name, s.twoAddresses]))).toEqual({ 'pam-generic': 1, 'roundcube-auth': 1 });
    expect(scores.filter((s) => s.refused).map((s) => s.name).sort()).toEqual(Object.keys(REFUSED).sort());
    for (const [name, reason] of Object.entries(REFUSED)) expect(scores.find((s) => s.name === name)?.refused).toMatch(reason);
  }, 120_000);
});
