import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FailRule, FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { parseFixture } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import { sshd } from '../src/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const files = readdirSync(fixtures).filter((n) => n.endsWith('.log'));
const rules = (sshd.failregex as readonly (string | FailRule)[]).map((r) =>
  typeof r === 'string' ? { pattern: r } : r,
);

/** Runs a definition over every fixture block (with the block's options); returns the patterns that reported. */
function patternsReporting(definition: FilterDefinition): Set<string> {
  const hit = new Set<string>();
  for (const file of files) {
    let compiled = compileFilter(definition, {});
    let parser = new LineParser({ format: 'syslog' });
    for (const item of parseFixture(readFileSync(`${fixtures}${file}`, 'utf8'))) {
      if (item.type === 'header') {
        const { format = 'syslog', now, ...options } = item.values;
        compiled = compileFilter(definition, definition === sshd ? options : {});
        const reference = now === undefined ? undefined : Date.parse(now);
        parser = new LineParser({
          format: format as 'syslog' | 'journal',
          now: reference === undefined ? undefined : () => reference,
        });
      } else if (item.type === 'line') {
        for (const f of compiled.match(parser.parse(item.text)) ?? []) {
          if (f.rule >= 0) hit.add(compiled.rules[f.rule]!.pattern);
        }
      }
    }
  }
  return hit;
}

/** Every fixture line's message with sshd's prefix (`error: `, …) taken off. */
function messages(): string[] {
  const prefix = new RegExp(`^(?:${sshd.prefix})`);
  const out: string[] = [];
  for (const file of files) {
    let parser = new LineParser({ format: 'syslog' });
    for (const item of parseFixture(readFileSync(`${fixtures}${file}`, 'utf8'))) {
      if (item.type === 'header')
        parser = new LineParser({ format: item.values.format === 'journal' ? 'journal' : 'syslog' });
      else if (item.type === 'line') out.push(parser.parse(item.text).message.replace(prefix, ''));
    }
  }
  return out;
}

describe('sshd: every rule has a sample line', () => {
  it('every fail/pending rule reports at least one failure in the fixtures', () => {
    const hit = patternsReporting(sshd);
    const counting = rules.filter(
      (r) => r.kind === undefined || r.kind === 'fail' || r.kind === 'pending' || r.kind === 'fallback',
    );
    expect(counting.filter((r) => !hit.has(r.pattern)).map((r) => r.description ?? r.pattern)).toEqual([]);
  });

  it('every note/success rule matches at least one fixture line', () => {
    const quiet = rules.filter((r) => r.kind === 'note' || r.kind === 'success');
    expect(quiet.length).toBeGreaterThan(0);
    // Each rule on its own, as a plain failure rule without correlation, so a match becomes visible.
    const missing = quiet.filter((r) => {
      // A rule without a host tag is a plain regex: try it on the messages (after sshd's prefix) directly.
      if (!/<(?:HOST|ADDR|IP4|IP6)>/.test(r.pattern))
        return !messages().some((m) => new RegExp(r.pattern).test(m));
      const alone: FilterDefinition = {
        id: 'sshd-rule',
        programs: sshd.programs,
        prefix: sshd.prefix,
        failregex: [{ pattern: r.pattern, literals: r.literals }],
      };
      return patternsReporting(alone).size === 0;
    });
    expect(missing.map((r) => r.description ?? r.pattern)).toEqual([]);
  });
});
