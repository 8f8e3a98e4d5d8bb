#!/usr/bin/env node
// `pnpm test:mutation [group…]`: mutation testing, one group of files after another (all groups by default),
// with the score per file from Stryker's table and the time each group took.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groups } from './stryker.config.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const wanted = process.argv.slice(2).filter((a) => a !== '--');
const unknown = wanted.filter((g) => !(g in groups));
if (unknown.length) {
  console.error(`unknown group(s) ${unknown.join(', ')}: choose from ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}
const stryker = fileURLToPath(new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url));
let failed = 0;
for (const group of wanted.length ? wanted : Object.keys(groups)) {
  const started = Date.now();
  console.log(`\n=== mutation group ${group}: ${groups[group].mutate.join(' ')}`);
  const run = spawnSync(process.execPath, [stryker, 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  console.log(`=== ${group}: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${run.status}`);
  survivors(group);
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

/** The mutants no test killed (or reached), one line each, from the group's JSON report. */
function survivors(group) {
  const report = join(root, `reports/mutation/${group}.json`);
  if (!existsSync(report)) return;
  const { files } = JSON.parse(readFileSync(report, 'utf8'));
  for (const [file, { mutants }] of Object.entries(files)) {
    for (const m of mutants) {
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
      console.log(`  ${m.status.padEnd(10)} ${at} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '').slice(0, 100)}`);
    }
  }
}
