#!/usr/bin/env node
// `pnpm test:mutation [group…]`: mutation testing, one group of files after another (all groups by default),
// with the score per file from Stryker's table and the time each group took.
import { spawnSync } from 'node:child_process';
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
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
