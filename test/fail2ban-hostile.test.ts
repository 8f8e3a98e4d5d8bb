import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { INJECTABLE_FAIL2BAN_FILTERS, checkRegexSafety, loadFail2banFilter } from '@portcullis/core/filtering';
import { HOSTILE_LINE_LENGTH, MARKER_ADDRESSES, hostileLines, injectionLines } from '@portcullis/testkit';

/**
 * The testkit's hostile corpus over every fail2ban filter.d file the compat loader reads, with each value of
 * each option: no line ever makes a filter a config accepts report a marker address (text an attacker wrote)
 * as the host — the filters whose own regexes do are exactly the ones a config refuses without `unsafe: true`
 * (INJECTABLE_FAIL2BAN_FILTERS) — and 200 lines of 64 KiB stay fast — or, for a filter that does not, the regex safety check (which a config
 * runs before start) refuses its regexes, so it only runs when a user accepts it with `unsafe: true`.
 */
const DIR = '/etc/fail2ban/filter.d';
const present = existsSync(DIR);
if (!present && process.env.CI === 'true') throw new Error('fail2ban is not installed: CI needs /etc/fail2ban/filter.d (apt-get install fail2ban)');
if (!present) console.warn('skipping the fail2ban hostile corpus: /etc/fail2ban/filter.d not found (apt-get install fail2ban)');

/** Per filter and option set, for the 200 long lines together (generous: the machine is shared). */
const BUDGET_MS = 3000;

/** The defaults, then each value of each option alone (the full product of options is too large to run). */
function variants(def: FilterDefinition): Record<string, string>[] {
  const out: Record<string, string>[] = [{}];
  for (const [name, o] of Object.entries(def.options ?? {})) for (const v of o.values) if (v !== o.default) out.push({ [name]: v });
  return out;
}

describe.skipIf(!present)('the hostile corpus over every fail2ban filter', () => {
  it('never reports a marker address, and long lines stay fast or the filter is refused as unsafe', async () => {
    const names = readdirSync(DIR).filter((f) => f.endsWith('.conf') && f !== 'common.conf').map((f) => f.slice(0, -5)).sort();
    const markers = new Set(MARKER_ADDRESSES);
    const long = hostileLines();
    const injection = injectionLines();
    const errors: string[] = [];
    const slow = new Map<string, string[]>();
    const injectable = new Set<string>();
    let run = 0;
    for (const name of names) {
      let def: FilterDefinition;
      try {
        def = loadFail2banFilter(`${DIR}/${name}.conf`);
      } catch {
        continue; // refused with the construct JavaScript lacks: it never runs (see the conformance test)
      }
      const header = `Feb 25 13:34:10 host ${name}[4242]: `;
      for (const opts of variants(def)) {
        let filter: ReturnType<typeof compileFilter>;
        try {
          filter = compileFilter(def, opts, { maxLineLength: HOSTILE_LINE_LENGTH * 2 });
        } catch {
          continue; // an option value whose rules JavaScript cannot run: refused the same way
        }
        run++;
        const label = `${name} ${JSON.stringify(opts)}`;
        const parser = new LineParser({ format: 'syslog' });
        const check = (text: string, what: string): void => {
          for (const f of filter.match(parser.parse(text)) ?? []) {
            if (!markers.has(f.host)) continue;
            injectable.add(name);
            if (INJECTABLE_FAIL2BAN_FILTERS[name] === undefined) errors.push(`${label}: reported marker ${f.host} from ${what}: ${text.slice(0, 160)}`);
          }
        };
        for (let i = 0; i < injection.length; i++) {
          check(injection[i]!, `injection line #${i}`);
          check(header + injection[i]!, `injection line #${i} with a syslog header`);
        }
        const started = performance.now();
        for (let i = 0; i < long.length; i++) {
          check(header + long[i]!, `hostile line #${i}`);
          check(long[i]!, `hostile line #${i} without a header`);
          if (performance.now() - started > BUDGET_MS) {
            const patterns = [...filter.rules.map((r) => r.pattern)];
            slow.set(label, patterns);
            break;
          }
        }
      }
    }
    console.log(`${run} filter × option runs; over the budget: ${[...slow.keys()].join(', ') || 'none'}`);
    expect(errors).toEqual([]);
    expect([...injectable].sort()).toEqual(Object.keys(INJECTABLE_FAIL2BAN_FILTERS).sort());
    expect(run).toBeGreaterThan(80);
    // A filter too slow on 64 KiB lines must be one the config refuses unless the user says unsafe: true.
    for (const [label, patterns] of slow) {
      const verdicts = await checkRegexSafety(patterns);
      expect({ label, refused: verdicts.some((v) => v.status === 'vulnerable') }).toEqual({ label, refused: true });
    }
  }, 900_000);
});
