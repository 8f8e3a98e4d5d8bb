// Control-socket benchmark for large answers (run with `pnpm bench:control`, after `pnpm build`).
// A daemon (one jail, dry-run action, SQLite store) holds N bans (default 1,000,000): written to its
// database before it starts, in one transaction, and restored (and applied) at start — or, with
// `--seed socket`, made through bulk `ban` requests (slower: a commit per ban). Then the real client runs
// `status sshd --json`, `banned --json` and `unban --all --json`, each with its output in a file. For each:
// wall time, exit code, the entries in the output (they must equal N), the CPU time of the daemon and of
// the client, and the daemon's RSS (VmRSS, sampled every 20 ms) before and at its peak during the command.
// Wall times depend on the machine's load (the load average is recorded); CPU times much less.
// Results go to bench/results-control.json.
//   node bench/control.mjs [--bans N] [--log-level info|warn] [--seed db|socket]
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : process.argv[i + 1];
};
const total = Number(arg('--bans', '1000000'));
const logLevel = arg('--log-level', 'info');
const seed = arg('--seed', 'db');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) a process has used so far, in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** One request on a fresh connection; resolves with the parsed answer line. */
function request(socket, cmd, args) {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    const chunks = [];
    s.on('data', (d) => {
      chunks.push(d);
      if (d.includes(10)) {
        s.destroy();
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      }
    });
    s.on('error', reject);
    s.write(`${JSON.stringify({ v: 1, id: 1, cmd, args })}\n`);
  });
}

/** Address number i as an IPv4 address in 10.0.0.0/8 (up to 16.7 million). */
const address = (i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Run the CLI with its stdout in a file; samples the daemon's RSS meanwhile. */
async function timed(pid, args, outFile) {
  const before = rssMiB(pid);
  const cpuBefore = cpuSeconds(pid);
  const cpuFile = join(dir, 'client-cpu');
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 20);
  const t0 = performance.now();
  const clientArgs = (process.env.BENCH_CLIENT_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...clientArgs, '--require', join(root, 'bench/cpu-hook.cjs'), cli, ...args], {
    stdio: ['ignore', openSync(outFile, 'w'), 'pipe'],
    env: { ...process.env, BENCH_CPU_FILE: cpuFile },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise((r) => child.once('exit', r));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rssMiB(pid));
  const daemonCpuSeconds = +(cpuSeconds(pid) - cpuBefore).toFixed(2);
  const clientCpuSeconds = +(Number(readFileSync(cpuFile, 'utf8')) / 1000).toFixed(2);
  return { code, seconds: +seconds.toFixed(2), daemonCpuSeconds, clientCpuSeconds, rssBeforeMiB: Math.round(before), rssPeakMiB: Math.round(peak), rssGrowthMiB: Math.round(peak - before), stderr: stderr.trim() || undefined };
}

/** Lines of `file` that contain `needle`, counted while streaming the file. */
async function countLines(file, needle) {
  let n = 0;
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const l of lines) if (l.includes(needle)) n++;
  }
  if (rest.includes(needle)) n++;
  return n;
}

/** Write `total` current bans straight into a new database (the daemon restores them at start). */
async function seedDatabase(file) {
  const { SqliteBanStore } = await import('@portcullis/store-sqlite');
  SqliteBanStore.open(file).close(); // the schema
  const Database = createRequire(import.meta.resolve('@portcullis/store-sqlite'))('better-sqlite3');
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO bans (jail, ip, family, time, bantime, expires, failures, ban_count, matches, users, reason) VALUES ('sshd', ?, 4, ?, ?, ?, 0, 1, '[]', NULL, 'manual')`,
  );
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < total; i++) insert.run(address(i), now, 86_400_000, now + 86_400_000);
  })();
  db.close();
}

/** Resolves once `file` has stopped growing for a second (the dry-run action has applied the restored bans). */
async function settled(file) {
  let last = -1;
  for (;;) {
    const size = existsSync(file) ? statSync(file).size : 0;
    if (size === last) return;
    last = size;
    await sleep(1000);
  }
}

mkdirSync(join(root, 'bench/data'), { recursive: true });
const dir = mkdtempSync(join(root, 'bench/data/control-'));
const socket = join(dir, 'p.sock');
writeFileSync(join(dir, 'auth.log'), '');
writeFileSync(
  join(dir, 'portcullis.config.json'),
  JSON.stringify({
    plugins: ['@portcullis/filter-sshd'],
    database: join(dir, 'p.db'),
    socket,
    loglevel: logLevel,
    defaults: { maxretry: 3, findtime: '10m', bantime: '1d', ignoreip: [] },
    jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
  }),
);
const t0 = performance.now();
if (seed === 'db') await seedDatabase(join(dir, 'p.db'));
// BENCH_DAEMON_ARGS: Node options for the daemon only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
const daemonArgs = (process.env.BENCH_DAEMON_ARGS ?? '').split(' ').filter(Boolean);
const daemon = spawn(process.execPath, [...daemonArgs, cli, 'start', '--config', join(dir, 'portcullis.config.json')], { stdio: ['ignore', 'ignore', openSync(join(dir, 'daemon.log'), 'w')] });
try {
  for (let i = 0; i < 2400 && !existsSync(socket); i++) await sleep(50);
  if (!existsSync(socket)) throw new Error(`daemon did not start:\n${readFileSync(join(dir, 'daemon.log'), 'utf8')}`);
  if (seed === 'socket') {
    const per = 50_000; // about 700 KB a request, under the 1 MiB request limit
    for (let from = 0; from < total; from += per) {
      const ips = Array.from({ length: Math.min(per, total - from) }, (_, k) => address(from + k));
      const answer = await request(socket, 'ban', { jail: 'sshd', ips });
      if (!answer.ok || answer.result.banned.length !== ips.length) throw new Error(`bulk ban failed: ${JSON.stringify(answer).slice(0, 300)}`);
    }
  }
  await settled(join(dir, 'bans.jsonl'));
  const status = await request(socket, 'status', {});
  if (status.result?.totals?.currentlyBanned !== total) throw new Error(`the daemon holds ${status.result?.totals?.currentlyBanned} bans, not ${total}`);
  const seedSeconds = (performance.now() - t0) / 1000;
  console.log(`${total} bans made (${seed}) in ${seedSeconds.toFixed(1)} s`);

  const results = { bans: total, seed, logLevel, seedSeconds: +seedSeconds.toFixed(1), node: process.version, loadAverage: (await import('node:os')).loadavg()[0] };
  const out = join(dir, 'out.json');
  results.statusJail = await timed(daemon.pid, ['status', 'sshd', '--json', '--socket', socket], out);
  results.statusJail.entries = await countLines(out, '"ip":');
  results.banned = await timed(daemon.pid, ['banned', '--json', '--socket', socket], out);
  results.banned.entries = await countLines(out, '"ip":');
  results.unbanAll = await timed(daemon.pid, ['unban', '--all', '--json', '--socket', socket], out);
  results.unbanAll.entries = await countLines(out, '"ip":');
  const after = await request(socket, 'status', {});
  results.unbanAll.bansLeft = after.result?.totals?.currentlyBanned;
  console.log(JSON.stringify(results, null, 2));
  writeFileSync(join(root, 'bench/results-control.json'), `${JSON.stringify(results, null, 2)}\n`);
} finally {
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode === null ? daemon.once('exit', r) : r()));
  if (process.env.KEEP_BENCH_DATA !== '1') rmSync(dir, { recursive: true, force: true });
}
