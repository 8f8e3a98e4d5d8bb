// `pnpm bench [-- --filter <id>] [-- --lines N] [-- --mode <mode>]`: end-to-end filter throughput.
//
// Generates bench/data/auth.log (1,000,000 lines, seeded) if missing, runs the built CLI
// `node apps/portcullis/dist/cli.js test-filter <id> <log> --hosts` (failures per host, the floor's job; its
// default threads), again with `--threads 1` and with a thread per core, then with `--json` (a record per
// failure, one thread), measures lines/s and peak RSS of each (via a
// --require hook reading process.resourceUsage().maxRSS at exit), compares both outputs' failures per host with
// bench/data/auth.expected.json (sshd, normal mode; auth.expected-aggressive.json with --mode aggressive), prints a table and writes bench/results.json.
// Other filters: pass --filter <id> --log <file> [--expected <json>] (bench/filters.mjs builds logs for them).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const filter = arg('filter', 'sshd');
const mode = arg('mode', undefined);
const lines = Number(arg('lines', 1_000_000));
const cli = process.env.BENCH_CLI ?? join(root, 'apps/portcullis/dist/cli.js');
const dataDir = join(root, 'bench/data');
const log = arg('log', join(dataDir, lines === 1_000_000 ? 'auth.log' : `auth-${lines}.log`));
// sshd's generated log carries the truth for both modes it is benched in; a bench that cannot check fails.
const expectedFile = arg('expected', filter === 'sshd' && (!mode || mode === 'normal' || mode === 'aggressive') ? log.replace(/\.log$/, mode === 'aggressive' ? '.expected-aggressive.json' : '.expected.json') : undefined);

if (!existsSync(cli)) {
  console.error(`${cli} is missing: build the CLI first (pnpm build)`);
  process.exit(2);
}
if (!existsSync(log)) {
  if (filter !== 'sshd' || arg('log', undefined)) {
    console.error(`${log} is missing`);
    process.exit(2);
  }
  const name = log.slice(dataDir.length + 1).replace(/\.log$/, '');
  const gen = spawnSync(
    process.execPath,
    [join(root, 'bench/generate-auth-log.mjs'), '--lines', String(lines), '--out', dataDir, '--name', name],
    {
      stdio: 'inherit',
    },
  );
  if (gen.status !== 0) process.exit(gen.status ?? 1);
}

const rssFile = join(tmpdir(), `portcullis-bench-rss-${process.pid}`);

/** `[peak RSS KiB, CPU seconds]` as bench/rss-hook.cjs recorded them. */
function usage(file) {
  const [kib, user, sys] = existsSync(file) ? readFileSync(file, 'utf8').split(' ').map(Number) : [];
  return [kib ?? Number.NaN, ((user ?? Number.NaN) + (sys ?? Number.NaN)) / 1e6];
}

/**
 * One run of test-filter with `output`: `--hosts` (failures per host: the floor's job, so the ratio compares
 * like for like) or `--json` (a record per failure). Failures per host are read back from either.
 */
async function runTestFilter(output, extra = []) {
  const argv = ['--require', join(root, 'bench/rss-hook.cjs'), cli, 'test-filter', filter, log, output, ...extra];
  if (mode) argv.push('--option', `mode=${mode}`);
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The output is only collected while the child runs and checked after it exits: parsing JSON here, on
  // the machine's other core, would slow the pipe down and time this script instead of test-filter.
  const chunks = [];
  child.stdout.on('data', (chunk) => chunks.push(chunk));
  const code = await new Promise((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perHost = new Map();
  let failures = 0;
  let badJson = 0;
  for (const p of Buffer.concat(chunks).toString('utf8').split('\n')) {
    if (!p) continue;
    try {
      const o = JSON.parse(p);
      const n = output === '--hosts' ? o.failures : 1;
      failures += n;
      perHost.set(o.host, (perHost.get(o.host) ?? 0) + n);
    } catch {
      badJson++;
    }
  }
  const [rssKiB, cpuSeconds] = usage(rssFile);
  rmSync(rssFile, { force: true });
  if (code !== 0) {
    console.error(`test-filter ${output} exited with ${code}`);
    process.exit(1);
  }
  return { seconds, cpuSeconds, rssKiB, perHost, failures, badJson };
}

const { seconds, cpuSeconds, rssKiB, perHost, failures, badJson } = await runTestFilter('--hosts');
// The same in one thread and with a thread per core: what the threads bring (the default, above, is one of
// the two: a thread per core for a file this size, but one for a filter split by pid below 4 cores).
const cores = Math.min(4, availableParallelism());
const oneThread = await runTestFilter('--hosts', ['--threads', '1']);
const allThreads = await runTestFilter('--hosts', ['--threads', String(cores)]);
const records = await runTestFilter('--json');
const total = Number(spawnSync('wc', ['-l', log], { encoding: 'utf8' }).stdout.trim().split(/\s+/)[0]);

let comparison = { checked: false };
if (expectedFile && existsSync(expectedFile)) {
  const expected = JSON.parse(readFileSync(expectedFile, 'utf8'));
  const diffs = [];
  // Both outputs must carry the generator's truth, host by host.
  for (const [output, counts] of [['--hosts', perHost], ['--hosts --threads 1', oneThread.perHost], [`--hosts --threads ${cores}`, allThreads.perHost], ['--json', records.perHost]]) {
    for (const [host, n] of Object.entries(expected.hosts)) {
      const got = counts.get(host) ?? 0;
      if (got !== n) diffs.push({ output, host, expected: n, got });
    }
    for (const [host, got] of counts) if (!(host in expected.hosts)) diffs.push({ output, host, expected: 0, got });
  }
  comparison = {
    checked: true,
    expectedFailures: expected.failures,
    hostsDiffering: diffs.length,
    sample: diffs.slice(0, 10),
  };
}

// The floor: the simplest Node program (bench/floor.mjs) on the same log, in the same run, same RSS hook.
async function runFloor() {
  const floorRss = `${rssFile}-floor`;
  const t0 = process.hrtime.bigint();
  const proc = spawn(
    process.execPath,
    ['--require', join(root, 'bench/rss-hook.cjs'), join(root, 'bench/floor.mjs'), log],
    { env: { ...process.env, BENCH_RSS_FILE: floorRss }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const status = await new Promise((resolve) => proc.on('close', resolve));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const [kib, cpu] = usage(floorRss);
  rmSync(floorRss, { force: true });
  if (status !== 0) throw new Error(`bench/floor.mjs exited with ${status}`);
  return {
    seconds: Number(secs.toFixed(3)),
    cpuSeconds: Number(cpu.toFixed(3)),
    linesPerSecond: Math.round(total / secs),
    peakRssMiB: Number((kib / 1024).toFixed(1)),
    ...JSON.parse(out),
  };
}
const floor = await runFloor();
const figures = (run) => ({
  seconds: Number(run.seconds.toFixed(3)),
  cpuSeconds: Number(run.cpuSeconds.toFixed(3)),
  peakRssMiB: Number((run.rssKiB / 1024).toFixed(1)),
  floorRatio: Number((floor.seconds / run.seconds).toFixed(2)),
  floorCpuRatio: Number((floor.cpuSeconds / run.cpuSeconds).toFixed(2)),
});

const result = {
  filter,
  mode: mode ?? 'default',
  lines: total,
  seconds: Number(seconds.toFixed(3)),
  cpuSeconds: Number(cpuSeconds.toFixed(3)),
  linesPerSecond: Math.round(total / seconds),
  peakRssMiB: Number((rssKiB / 1024).toFixed(1)),
  failures,
  hosts: perHost.size,
  badJsonLines: badJson + records.badJson,
  node: process.version,
  ...comparison,
  floor,
  /** Portcullis's speed as a multiple of the floor's (> 1: faster than the simplest Node program). */
  floorRatio: Number((floor.seconds / seconds).toFixed(2)),
  /** The same by CPU time (user + system): steadier than wall clock on a shared, loaded machine. */
  floorCpuRatio: Number((floor.cpuSeconds / cpuSeconds).toFixed(2)),
  /** `--hosts --threads 1`: the same work in one thread. */
  oneThread: figures(oneThread),
  /** `--hosts --threads <cores>` (at most 4): a thread per core. */
  allThreads: { threads: cores, ...figures(allThreads) },
  /** The same log with `--json`: a JSON record written per failure, work the floor does not do (one thread: records keep the file's order). */
  json: {
    seconds: Number(records.seconds.toFixed(3)),
    cpuSeconds: Number(records.cpuSeconds.toFixed(3)),
    linesPerSecond: Math.round(total / records.seconds),
    peakRssMiB: Number((records.rssKiB / 1024).toFixed(1)),
    failures: records.failures,
    floorRatio: Number((floor.seconds / records.seconds).toFixed(2)),
    floorCpuRatio: Number((floor.cpuSeconds / records.cpuSeconds).toFixed(2)),
  },
};
const rows = [
  ['filter', `${filter} (${result.mode})`],
  ['lines', total.toLocaleString('en')],
  ['time', `${result.seconds} s (CPU ${result.cpuSeconds} s)`],
  ['lines/s', result.linesPerSecond.toLocaleString('en')],
  ['peak RSS', `${result.peakRssMiB} MiB`],
  [
    'failures',
    `${failures.toLocaleString('en')}${comparison.checked ? ` (expected ${comparison.expectedFailures.toLocaleString('en')})` : ''}`,
  ],
  ['hosts', perHost.size.toLocaleString('en')],
  [
    'floor (readline + regex + Map)',
    `${floor.seconds} s (CPU ${floor.cpuSeconds} s), ${floor.linesPerSecond.toLocaleString('en')} lines/s, ${floor.peakRssMiB} MiB`,
  ],
  ['speed vs floor', `${result.floorRatio}× wall, ${result.floorCpuRatio}× CPU (--hosts: counts per host, as the floor; default threads)`],
  ['--threads 1', `${result.oneThread.seconds} s (CPU ${result.oneThread.cpuSeconds} s), ${result.oneThread.peakRssMiB} MiB; ${result.oneThread.floorRatio}× wall, ${result.oneThread.floorCpuRatio}× CPU vs floor`],
  [`--threads ${cores}`, `${result.allThreads.seconds} s (CPU ${result.allThreads.cpuSeconds} s), ${result.allThreads.peakRssMiB} MiB; ${result.allThreads.floorRatio}× wall, ${result.allThreads.floorCpuRatio}× CPU vs floor`],
  ['with --json', `${result.json.seconds} s (CPU ${result.json.cpuSeconds} s), ${result.json.peakRssMiB} MiB; ${result.json.floorRatio}× wall, ${result.json.floorCpuRatio}× CPU vs floor`],
];
if (comparison.checked) rows.push(['hosts differing', String(comparison.hostsDiffering)]);
const width = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
if (comparison.checked && comparison.hostsDiffering > 0) console.log('first differences:', comparison.sample);
writeFileSync(
  join(root, `bench/results${mode ? `-${filter}-${mode}` : ''}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
if (comparison.checked && comparison.hostsDiffering > 0) process.exitCode = 1;
if (expectedFile && !comparison.checked) {
  console.error(`${expectedFile} is missing: regenerate the log (delete ${log}) so the result can be checked`);
  process.exitCode = 1;
}
