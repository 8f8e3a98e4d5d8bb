import type { FilterDefinition } from '@portcullis/core';
import { LineParser, compileFilter } from '@portcullis/core/engine';
import { HOSTILE_LINE_LENGTH, MARKER_ADDRESSES, hostileLines, injectionLines } from './hostile-lines.js';

/** Outcome of {@link checkHostile}. */
export interface HostileResult {
  /** Budget overruns and failures naming a marker address; empty when the filter holds. */
  errors: string[];
  /** Total time spent matching, all option combinations together (ms). */
  ms: number;
}

/** Every combination of a filter's option values (one empty record when it has no options). */
export function optionCombinations(definition: FilterDefinition): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [name, option] of Object.entries(definition.options ?? {})) {
    combos = combos.flatMap((c) => option.values.map((v) => ({ ...c, [name]: v })));
  }
  return combos;
}

/**
 * Runs every option combination of a filter over {@link hostileLines} (200 lines of 64 KiB) and
 * {@link injectionLines}, wrapped in a syslog header of the filter's first program (bare for filters without
 * programs). Reports each combination that takes longer than `budgetMs` and every failure whose host is a
 * marker address (an attacker-controlled field was taken for the client).
 */
export function checkHostile(
  definition: FilterDefinition,
  options?: { modes?: readonly Record<string, string>[]; budgetMs?: number },
): HostileResult {
  const budget = options?.budgetMs ?? 1000;
  const program = definition.programs?.[0];
  const header = program === undefined ? '' : `Feb 25 13:34:10 host ${program}[4242]: `;
  const wrap = (m: string): string => header + m;
  const hostile = hostileLines().map(wrap);
  const injection = injectionLines().map(wrap);
  const markers = new Set(MARKER_ADDRESSES);
  const errors: string[] = [];
  let total = 0;
  for (const mode of options?.modes ?? optionCombinations(definition)) {
    const label = Object.entries(mode).map(([k, v]) => `${k}=${v}`).join(' ') || '(defaults)';
    const filter = compileFilter(definition, mode, { maxLineLength: HOSTILE_LINE_LENGTH * 2 });
    const parser = new LineParser({ format: 'syslog', now: () => Date.UTC(2005, 2, 1) });
    const started = performance.now();
    const check = (text: string, what: string): void => {
      for (const f of filter.match(parser.parse(text)) ?? []) {
        if (markers.has(f.host)) errors.push(`${definition.id} ${label}: reported marker ${f.host} from ${what}: ${text.slice(0, 200)}`);
      }
    };
    for (let i = 0; i < hostile.length; i++) check(hostile[i]!, `hostile line #${i}`);
    for (let i = 0; i < injection.length; i++) check(injection[i]!, `injection line #${i}`);
    filter.reset();
    const ms = performance.now() - started;
    total += ms;
    if (ms > budget) errors.push(`${definition.id} ${label}: ${Math.round(ms)} ms for the hostile lines, over the ${budget} ms budget`);
  }
  return { errors, ms: total };
}
