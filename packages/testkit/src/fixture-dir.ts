import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FilterDefinition } from '@portcullis/core';
import { compileFilter } from '@portcullis/core/engine';
import { checkFilterFixture } from './check-fixture.js';
import { optionCombinations } from './check-hostile.js';

/** A filter's sample logs in a fixtures folder: `<id>.log` and `<id>-<variant>.log`, sorted. */
export function fixtureFilesFor(dir: string, filterId: string): string[] {
  return readdirSync(dir)
    .filter((n) => n === `${filterId}.log` || (n.startsWith(`${filterId}-`) && n.endsWith('.log')))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * Failure rules (`fail` and `pending`, over every option combination) that no line of `files` matched:
 * every failregex needs at least one positive sample, or a typo in it would go unnoticed.
 */
export function uncoveredRules(definition: FilterDefinition, files: readonly string[]): string[] {
  const hit = new Set<string>();
  for (const file of files) for (const p of checkFilterFixture(definition, file).rulesHit) hit.add(p);
  const wanted = new Set<string>();
  for (const combo of optionCombinations(definition)) {
    for (const r of compileFilter(definition, combo).rules) if (r.kind === 'fail' || r.kind === 'pending' || r.kind === 'fallback') wanted.add(r.pattern);
  }
  return [...wanted].filter((p) => !hit.has(p));
}
