// Per-filter throughput, checked: for every shipped filter, a 1,000,000-line log of that service is built
// from the filter's own annotated sample logs (every sample line, positive and negative, with its addresses
// varied over 50,000 hosts), then `portcullis test-filter <id> <log> --hosts` runs over it (failures per host:
// the floor's job, so the two compare like for like; one thread per core, the default for a file this size,
// and again with `--threads 1`, which must print the same). Reports lines/s
// per filter, and fails unless the failures found (host by host) are exactly those the samples' `#=`
// annotations say. Deterministic per filter.
// Each filter runs next to the floor (bench/floor.mjs: readline, one regex taking the first dotted quad of
// a line, a Map of counts) on the same log, in the same run; both record CPU time and peak RSS through
// bench/rss-hook.cjs, and `floorCpuRatio` is the floor's CPU time over test-filter's (> 1: faster).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const dataDir = join(root, 'bench/data');
const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const only = process.argv.includes('--filter') ? process.argv[process.argv.indexOf('--filter') + 1] : undefined;

if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
mkdirSync(dataDir, { recursive: true });

const v4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
const { parseFixture } = await import(join(root, 'packages/testkit/dist/index.js'));

/**
 * The annotated sample lines of a plugin's fixtures, per filter id and per block options (a `#>` header's
 * values but `now` and `format`): `{ text, hosts }` with the hosts the annotations expect. Journal blocks
 * (JSON records), hostile-line files and multi-line correlation files are left out: the bench log repeats
 * the lines in file order, so each must stand on its own or with the lines of its block before it.
 */
function samples(pluginDir) {
  const fixtures = join(pluginDir, 'test/fixtures');
  const byFilter = new Map();
  if (!existsSync(fixtures)) return byFilter;
  for (const f of readdirSync(fixtures).sort()) {
    if (!f.endsWith('.log') || /-(?:injection|multiline)\.log$/.test(f)) continue;
    const id = f.replace(/\.log$/, '').replace(/-(?:multiline|journal|5424|injection|ddos|extra|aggressive|normal|syslog|file|realworld|modes|formats|multilog|\d+)$/g, '');
    let options = '{}';
    let journal = false;
    for (const item of parseFixture(readFileSync(join(fixtures, f), 'utf8'))) {
      if (item.type === 'header') {
        const { now: _now, format, ...rest } = item.values;
        journal = format === 'journal';
        options = JSON.stringify(rest);
        continue;
      }
      if (item.type !== 'line' || journal) continue;
      const groups = byFilter.get(id) ?? new Map();
      byFilter.set(id, groups);
      const lines = groups.get(options) ?? [];
      groups.set(options, lines);
      lines.push({ text: item.text, hosts: item.expect.map((e) => e.host) });
    }
  }
  return byFilter;
}

function filterIds() {
  const out = [];
  for (const dir of readdirSync(join(root, 'plugins')).sort()) {
    if (!dir.startsWith('filter-')) continue;
    const pluginDir = join(root, 'plugins', dir);
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', `const p = (await import(${JSON.stringify(join(pluginDir, 'dist/index.js'))})).default; console.log(JSON.stringify(p.filters.map((f) => ({ id: f.id, modes: f.options?.mode?.values ?? [] }))))`], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const groups = samples(pluginDir);
    for (const f of JSON.parse(probe.stdout)) {
      const mine = groups.get(f.id);
      if (!mine) continue;
      // One run per filter: its aggressive mode when its samples have such blocks, else the option set with
      // the most sample lines (the defaults, usually).
      const sets = [...mine.entries()].sort((a, b) => b[1].length - a[1].length);
      const chosen = sets.find(([o]) => JSON.parse(o).mode === 'aggressive') ?? sets[0];
      out.push({ ...f, options: JSON.parse(chosen[0]), lines: chosen[1] });
    }
  }
  return out;
}

/**
 * The bench log of a filter and the truth it is checked against: the sample lines repeated in file order
 * until LINES, each pass with its IPv4 addresses moved to a pass-specific 10.x.y.z (one address mapped the
 * same way within a pass, so a block's lines still belong together), 50,000 hosts in all. Deterministic
 * per filter: no shared random stream, so `--filter` builds the same data as a full run.
 */
function build(id, lines) {
  const file = join(dataDir, `${id}-${LINES}.log`);
  const truth = new Map();
  const distinct = new Map();
  for (const l of lines) for (const a of [...(l.text.match(v4) ?? []), ...l.hosts.filter((h) => v4.test(h) && (v4.lastIndex = 0) === 0)]) if (!distinct.has(a)) distinct.set(a, distinct.size);
  const moved = (address, pass) => {
    const h = (pass * distinct.size + distinct.get(address)) % 50_000;
    return `10.${(h >> 8) & 255}.${h & 255}.${1 + (h % 200)}`;
  };
  const out = [];
  for (let i = 0; i < LINES; i++) {
    const pass = Math.floor(i / lines.length);
    const l = lines[i % lines.length];
    out.push(l.text.replace(v4, (a) => moved(a, pass)));
    for (const h of l.hosts) {
      const host = distinct.has(h) ? moved(h, pass) : h;
      truth.set(host, (truth.get(host) ?? 0) + 1);
    }
  }
  if (!existsSync(file) || statSync(file).size === 0 || process.env.BENCH_REGENERATE) writeFileSync(file, `${out.join('\n')}\n`);
  return { file, truth };
}

/** How the failures found differ from the truth (empty: they agree), at most a few hosts named. */
function compare(truth, stdout) {
  const found = new Map();
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const { host, failures } = JSON.parse(line);
    found.set(host, (found.get(host) ?? 0) + failures);
  }
  const diffs = [];
  for (const host of new Set([...truth.keys(), ...found.keys()])) {
    const want = truth.get(host) ?? 0;
    const got = found.get(host) ?? 0;
    if (want !== got) diffs.push(`${host}: want ${want}, got ${got}`);
  }
  return diffs;
}

/** Runs `node <args>` with bench/rss-hook.cjs: its result, wall seconds, CPU seconds and peak RSS (MiB). */
function measured(args) {
  const usageFile = join(tmpdir(), `portcullis-bench-filters-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--require', join(root, 'bench/rss-hook.cjs'), ...args], {
    encoding: 'buffer',
    maxBuffer: 1 << 30,
    env: { ...process.env, BENCH_RSS_FILE: usageFile },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [kib, user, sys] = existsSync(usageFile) ? readFileSync(usageFile, 'utf8').split(' ').map(Number) : [];
  rmSync(usageFile, { force: true });
  return { run, seconds, cpuSeconds: ((user ?? Number.NaN) + (sys ?? Number.NaN)) / 1e6, peakRssMiB: (kib ?? Number.NaN) / 1024 };
}

/** The floor's regex for these logs: the first dotted quad of a line is its host. */
const FLOOR_REGEX = '\\b(\\d{1,3}(?:\\.\\d{1,3}){3})\\b';

const results = [];
let wrong = 0;
for (const f of filterIds()) {
  if (only && f.id !== only) continue;
  if (!f.lines.length) continue;
  const { file, truth } = build(f.id, f.lines);
  const expected = [...truth.values()].reduce((a, b) => a + b, 0);
  const options = Object.entries(f.options).flatMap(([k, v]) => ['--option', `${k}=${v}`]);
  const args = [cli, 'test-filter', f.id, file, '--hosts', ...options];
  const mine = measured(['--max-old-space-size=256', ...args]);
  const run = mine.run;
  const ms = mine.seconds * 1000;
  // The same in one thread (the run above uses one per core, the default for a file this size).
  const single = measured(['--max-old-space-size=256', ...args, '--threads', '1']);
  const floor = measured([join(root, 'bench/floor.mjs'), file, FLOOR_REGEX]);
  if (floor.run.status !== 0) throw new Error(`bench/floor.mjs exited with ${floor.run.status} on ${file}`);
  const stdout = run.stdout.toString('utf8');
  const diffs = compare(truth, stdout);
  if (single.run.status !== 0 || single.run.stdout.toString('utf8') !== stdout) diffs.push('--threads 1 printed other counts');
  const matched = stdout.split('\n').filter(Boolean).reduce((n, line) => n + JSON.parse(line).failures, 0);
  const ok = run.status === 0 && diffs.length === 0;
  if (!ok) {
    wrong++;
    console.error(`${f.id}: the failures found differ from the samples' annotations (${diffs.length} hosts), e.g.\n  ${diffs.slice(0, 5).join('\n  ')}\n${run.stderr.toString('utf8').slice(0, 2000)}`);
  }
  const mode = f.options.mode ?? '-';
  results.push({
    filter: f.id,
    mode,
    options: f.options,
    lines: LINES,
    expected,
    matched,
    seconds: +(ms / 1000).toFixed(2),
    cpuSeconds: +mine.cpuSeconds.toFixed(3),
    peakRssMiB: +mine.peakRssMiB.toFixed(1),
    linesPerSecond: Math.round(LINES / (ms / 1000)),
    floor: { seconds: +floor.seconds.toFixed(2), cpuSeconds: +floor.cpuSeconds.toFixed(3), peakRssMiB: +floor.peakRssMiB.toFixed(1) },
    /** The floor's time over test-filter's, by wall clock and by CPU time (> 1: faster than the floor). */
    floorRatio: +(floor.seconds / mine.seconds).toFixed(2),
    floorCpuRatio: +(floor.cpuSeconds / mine.cpuSeconds).toFixed(2),
    oneThread: {
      seconds: +single.seconds.toFixed(2),
      cpuSeconds: +single.cpuSeconds.toFixed(3),
      peakRssMiB: +single.peakRssMiB.toFixed(1),
      floorRatio: +(floor.seconds / single.seconds).toFixed(2),
      floorCpuRatio: +(floor.cpuSeconds / single.cpuSeconds).toFixed(2),
    },
    ok,
  });
  console.log(results.at(-1));
}
console.table(results);
// With --filter, only that filter's entries are replaced in the file.
const file = join(root, 'bench/results-filters.json');
const previous = only && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).filter((r) => r.filter !== only) : [];
writeFileSync(file, `${JSON.stringify([...previous, ...results].sort((a, b) => a.filter.localeCompare(b.filter)), null, 2)}\n`);
if (wrong) {
  console.error(`${wrong} filter(s) found other failures than their samples say: the figures above are not valid`);
  process.exit(1);
}
