#!/usr/bin/env node
// `pnpm test:mutation [group…]`: mutation testing, one group of files after another (all groups by default),
// with the score per file from Stryker's table and the time each group took.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groups } from './stryker.config.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// `--record-only`: write mutation/scores/<group>.json from the last report without running Stryker again.
const recordOnly = process.argv.includes('--record-only');
const wanted = process.argv.slice(2).filter((a) => a !== '--' && a !== '--record-only');
const unknown = wanted.filter((g) => !(g in groups));
if (unknown.length) {
  console.error(`unknown group(s) ${unknown.join(', ')}: choose from ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}
const stryker = fileURLToPath(new URL('../node_modules/@stryker-mutator/core/bin/stryker.js', import.meta.url));
let failed = 0;
for (const group of wanted.length ? wanted : Object.keys(groups)) {
  if (recordOnly) {
    record(group, undefined, survivors(group));
    continue;
  }
  const started = Date.now();
  console.log(`\n=== mutation group ${group}: ${groups[group].mutate.join(' ')}`);
  const run = spawnSync(process.execPath, [stryker, 'run', 'mutation/stryker.config.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MUTATION_GROUP: group },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`=== ${group}: ${seconds} s, exit ${run.status}`);
  record(group, seconds, survivors(group));
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

/**
 * The mutants no test killed (or reached), printed one line each, and the score per file, from the group's
 * JSON report. Score as Stryker counts it: detected (killed + timeout) over valid mutants.
 */
function survivors(group) {
  const report = join(root, `reports/mutation/${group}.json`);
  if (!existsSync(report)) return undefined;
  const { files } = JSON.parse(readFileSync(report, 'utf8'));
  const scores = {};
  const left = [];
  for (const [file, { mutants }] of Object.entries(files)) {
    const tally = { killed: 0, timeout: 0, survived: 0, noCoverage: 0 };
    // Static mutants are code that runs when a module loads (a table, a constant, a schema). They are counted
    // apart as well, so a score file shows how much of a file's score rests on load-time code.
    const stat = { detected: 0, undetected: 0 };
    for (const m of mutants) {
      if (m.status === 'Killed') tally.killed++;
      else if (m.status === 'Timeout') tally.timeout++;
      else if (m.status === 'Survived') tally.survived++;
      else if (m.status === 'NoCoverage') tally.noCoverage++;
      if (m.static && (m.status === 'Killed' || m.status === 'Timeout')) stat.detected++;
      else if (m.static && (m.status === 'Survived' || m.status === 'NoCoverage')) stat.undetected++;
      if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
      const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
      const line = `${m.status.padEnd(10)} ${at} ${m.mutatorName}: ${JSON.stringify(m.replacement ?? '').slice(0, 100)}`;
      console.log(`  ${line}`);
      left.push(line);
    }
    const valid = tally.killed + tally.timeout + tally.survived + tally.noCoverage;
    const detected = tally.killed + tally.timeout;
    const runtimeValid = valid - stat.detected - stat.undetected;
    scores[file] = {
      ...tally,
      score: valid ? Math.round((detected / valid) * 1000) / 10 : 100,
      staticMutants: stat,
      // null: every mutant of the file is static.
      runtimeScore: runtimeValid ? Math.round(((detected - stat.detected) / runtimeValid) * 1000) / 10 : null,
    };
  }
  return { scores, survivors: left };
}

/** Keep the group's scores and survivors in `mutation/scores/<group>.json`, committed beside the config. */
function record(group, seconds, result) {
  if (!result) return;
  const dir = join(root, 'mutation/scores');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const previous = join(dir, `${group}.json`);
  // Recording again from the same report keeps the run time the run itself measured.
  const took = seconds ?? (existsSync(previous) ? JSON.parse(readFileSync(previous, 'utf8')).seconds : undefined);
  writeFileSync(previous, `${JSON.stringify({ group, at, seconds: took, ...result }, null, 2)}\n`);
}
