import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FilterDefinition, Plugin } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import apache from '@portcullis/filter-apache';
import courier from '@portcullis/filter-courier';
import lighttpd from '@portcullis/filter-lighttpd';
import postfix from '@portcullis/filter-postfix';
import qmail from '@portcullis/filter-qmail';
import sshd from '@portcullis/filter-sshd';
import vsftpd from '@portcullis/filter-vsftpd';
import { FAIL2BAN_SAMPLES, TEST_NOW, TEST_TZ, journalLine, readSamples } from '../packages/core/test/fail2ban-samples.js';

/**
 * The native filter plugins over fail2ban's annotated sample logs of the same names: where a native filter
 * differs from fail2ban on an annotated line, docs/differences-from-fail2ban.md says which and why. The
 * test holds the number of differing lines per filter, so a new difference (or a fixed one) shows.
 */
const present = existsSync(FAIL2BAN_SAMPLES);
if (!present && process.env.CI === 'true') throw new Error('fail2ban is not installed: CI needs its sample logs (apt-get install fail2ban)');

const plugins: Plugin[] = [apache, courier, lighttpd, postfix, qmail, sshd, vsftpd];

/** Differing annotated line-runs per filter today; each is explained in docs/differences-from-fail2ban.md. */
const KNOWN: Record<string, number> = { sshd: 31, vsftpd: 1 };

function score(def: FilterDefinition): { lines: number; misses: string[] } {
  const misses: string[] = [];
  let lines = 0;
  const samples = readSamples(def.id);
  const modes = def.options?.mode?.values ?? [];
  const groups = new Map<string, typeof samples>();
  for (const s of samples) {
    for (const o of s.optionSets) {
      const mode = o.mode !== undefined && modes.includes(o.mode) ? o.mode : undefined;
      const key = JSON.stringify({ mode, journal: o.logtype === 'journal' });
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
  }
  for (const [key, items] of groups) {
    const { mode, journal } = JSON.parse(key) as { mode?: string; journal: boolean };
    const filter = compileFilter(def, mode ? { mode } : {}, { now: () => TEST_NOW });
    const parser = new LineParser({ format: 'auto', now: () => TEST_NOW });
    for (const s of items) {
      lines++;
      const line = journal ? journalLine(s.line, TEST_NOW) : parser.parse(s.line);
      const found = filter.match(line) ?? [];
      const hit = found.find((f) => f.line.raw === line.raw) ?? found[found.length - 1];
      let ok = (hit !== undefined) === s.match;
      if (ok && hit && s.host !== undefined && hit.host !== s.host.toLowerCase()) ok = false;
      if (!ok) misses.push(`${s.file}:${s.lineno}${mode ? ` mode=${mode}` : ''}: fail2ban ${s.match ? `matches ${s.host ?? ''}` : 'does not match'}, native ${hit ? `matches ${hit.host}` : 'does not match'}`);
    }
  }
  return { lines, misses };
}

describe.skipIf(!present)('native filters over fail2ban\'s annotated samples', () => {
  it('differ only where docs/differences-from-fail2ban.md says', () => {
    process.env.TZ = TEST_TZ;
    const defs = plugins.flatMap((p) => p.filters ?? []).filter((d) => readSamples(d.id).length > 0);
    const counts: Record<string, number> = {};
    for (const d of defs) {
      const r = score(d);
      console.log(`${d.id.padEnd(18)} ${r.lines - r.misses.length}/${r.lines}\n  ${r.misses.join('\n  ')}`);
      if (r.misses.length) counts[d.id] = r.misses.length;
    }
    expect(counts).toEqual(KNOWN);
  });
});
