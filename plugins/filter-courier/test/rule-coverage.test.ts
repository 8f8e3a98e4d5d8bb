import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { parseFixture } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Patterns of the filter's rules that matched at least one sample line, over all its fixture blocks. */
function rulesHit(filter: FilterDefinition): Set<string> {
  const hit = new Set<string>();
  const files = readdirSync(fixtures).filter(
    (n) => n === `${filter.id}.log` || n.startsWith(`${filter.id}-`),
  );
  for (const file of files) {
    let compiled = compileFilter(filter, {});
    let parser = new LineParser({ format: 'syslog' });
    for (const item of parseFixture(readFileSync(`${fixtures}${file}`, 'utf8'))) {
      if (item.type === 'header') {
        const { format = 'syslog', now, ...options } = item.values;
        compiled = compileFilter(filter, options);
        const reference = now === undefined ? undefined : Date.parse(now);
        parser = new LineParser({
          format: format as 'syslog' | 'journal',
          now: reference === undefined ? undefined : () => reference,
        });
      } else if (item.type === 'line') {
        for (const f of compiled.match(parser.parse(item.text)) ?? [])
          hit.add(compiled.rules[f.rule]!.pattern);
      }
    }
  }
  return hit;
}

describe(`${plugin.name}: every failregex has a positive sample`, () => {
  for (const filter of plugin.filters) {
    it(filter.id, () => {
      const all = typeof filter.failregex === 'function' ? [] : filter.failregex;
      const patterns = all.map((r) => (typeof r === 'string' ? r : r.pattern));
      const hit = rulesHit(filter);
      expect(patterns.filter((p) => !hit.has(p))).toEqual([]);
    });
  }
});
