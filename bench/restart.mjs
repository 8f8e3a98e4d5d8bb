// Restart bench (`pnpm bench:restart`, after `pnpm build`): 1,000,000 current bans are written into a
// SQLite store (through the store's schema, in one transaction), then a daemon is started on it with two
// actions (dry-run to a file, and a bench action that records each batch it is given). Measured:
// - time from spawn to the first answered `ping` on the control socket, and to every ban re-applied;
// - the daemon's CPU time (utime+stime) and peak RSS (VmHWM), and its RSS once restored (1,000,000 bans held);
// - the batches each action was given, and the dry-run events written for the restore.
// The machine may be shared: CPU time and VmHWM are the figures to compare, wall times are indicative.
// The daemon runs with the node options of dist/portcullis.service (BENCH_NODE_OPTIONS overrides them), as
// bench/memory.mjs does. BENCH_BEFORE=<dir>, a built copy of the repository at another commit, restarts
// that build too, right after ours, on a copy of the same store: `before` in the results, from the same run.
// The bench fails when a restore took more than one batch per action or wrote a restore event.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const storeEntry = join(root, 'packages/store-sqlite/dist/index.js');
if (!existsSync(cli) || !existsSync(storeEntry)) {
  console.error('not built: run pnpm build first');
  process.exit(2);
}
const N = Number(process.env.BANS ?? 1_000_000);
const nodeFlags = (
  process.env.BENCH_NODE_OPTIONS ??
  /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(root, 'dist/portcullis.service'), 'utf8'))?.[1] ??
  ''
)
  .split(' ')
  .filter(Boolean);
const beforeRoot = process.env.BENCH_BEFORE;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clkTck = 100;

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpu: (Number(stat[11]) + Number(stat[12])) / clkTck, hwmMiB: kib('VmHWM') / 1024, rssMiB: kib('VmRSS') / 1024 };
}

/** One `ping` on the control socket: true when the daemon answered ok. */
function ping(sock) {
  return new Promise((resolve) => {
    const c = createConnection(sock);
    let text = '';
    c.setTimeout(10_000, () => c.destroy());
    c.on('connect', () => c.write(`${JSON.stringify({ v: 1, id: 1, cmd: 'ping' })}\n`));
    c.on('data', (d) => {
      text += d;
      if (text.includes('\n')) {
        c.end();
        resolve(text.includes('"ok":true'));
      }
    });
    c.on('error', () => resolve(false));
    c.on('close', () => resolve(false));
  });
}

async function fillStore(path) {
  const { SqliteBanStore } = await import(pathToFileURL(storeEntry).href);
  SqliteBanStore.open(path).close();
  const Database = createRequire(join(root, 'packages/store-sqlite/package.json'))('better-sqlite3');
  const db = new Database(path);
  const now = Date.now();
  const insert = db.prepare(
    `INSERT INTO bans (jail, ip, family, time, bantime, expires, failures, ban_count, matches, users, reason)
     VALUES ('sshd', ?, 4, ?, 86400000, ?, 5, 1, ?, NULL, 'failures')`,
  );
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const t = now - (i % 3600) * 1000;
      insert.run(ip, t, t + 86_400_000 + (i % 1000) * 1000, JSON.stringify([`Failed password for root from ${ip} port 22 ssh2`]));
    }
  })();
  db.close();
}

/** Start the daemon of the build at `base` on the store `db` and measure its restore. */
async function restart(base, dir, db, tag) {
  const log = join(dir, `auth-${tag}.log`);
  writeFileSync(log, '');
  const events = join(dir, `events-${tag}.jsonl`);
  const batches = join(dir, `batches-${tag}.txt`);
  const sock = join(dir, `${tag}.sock`);
  const config = {
    plugins: ['@portcullis/filter-sshd', join(root, 'bench/plugins/batch-counter.mjs')],
    database: db,
    socket: sock,
    defaults: { maxretry: 5, findtime: '10m', bantime: '1d', ignoreip: [] },
    jails: {
      sshd: {
        filter: 'sshd',
        logpath: log,
        actions: [{ id: 'dry-run', options: { file: events } }, { id: 'batch-counter', options: { file: batches } }],
      },
    },
  };
  const configFile = join(dir, `portcullis-${tag}.config.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const profile = process.env.PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROF}`] : [];
  const args = [...nodeFlags, ...profile, join(base, 'apps/portcullis/dist/cli.js'), 'start', '--config', configFile, '--log-level', 'info'];
  const start = performance.now();
  const child = spawn(process.execPath, args, { cwd: base, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  let pingMs;
  for (let i = 0; i < 2400 && pingMs === undefined; i++) {
    if (child.exitCode !== null) throw new Error(`daemon exited: ${output}`);
    if (existsSync(sock) && (await ping(sock))) pingMs = performance.now() - start;
    else await sleep(25);
  }
  if (pingMs === undefined) throw new Error('no ping answer within 60 s');
  const atPing = procStats(child.pid);
  const applied = () => {
    const lines = existsSync(batches) ? readFileSync(batches, 'utf8').split('\n').filter(Boolean) : [];
    return { lines, bans: lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0) };
  };
  let done;
  for (let i = 0; i < 1200; i++) {
    done = applied();
    if (done.bans >= N) break;
    await sleep(100);
  }
  const appliedMs = performance.now() - start;
  await sleep(2000);
  const settled = procStats(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const eventLines = existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean).length : 0;
  const logLines = output.split('\n').filter(Boolean).length;
  return {
    pingMs: Math.round(pingMs),
    appliedMs: Math.round(appliedMs),
    cpuAtPingS: +atPing.cpu.toFixed(2),
    cpuS: +settled.cpu.toFixed(2),
    peakRssMiB: +settled.hwmMiB.toFixed(1),
    rssHoldingBansMiB: +settled.rssMiB.toFixed(1),
    batchCounterBatches: done.lines.length,
    batchCounterBans: done.bans,
    dryRunRestoreEvents: eventLines,
    daemonLogLines: logLines,
  };
}

async function main() {
  mkdirSync(join(root, 'bench/data'), { recursive: true });
  const dir = mkdtempSync(join(root, 'bench/data/restart-'));
  try {
    const db = join(dir, 'p.db');
    const t0 = performance.now();
    await fillStore(db);
    console.log(`store: ${N} bans written in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(statSync(db).size / 2 ** 20).toFixed(0)} MiB)`);
    // The daemon writes to its store (state, positions): the other build starts on an untouched copy.
    if (beforeRoot) copyFileSync(db, join(dir, 'before.db'));
    const ours = await restart(root, dir, db, 'ours');
    const result = {
      date: new Date().toISOString(),
      bans: N,
      nodeOptions: nodeFlags.join(' '),
      node: process.version,
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      ...ours,
    };
    if (beforeRoot) result.before = await restart(beforeRoot, dir, join(dir, 'before.db'), 'before');
    console.log(JSON.stringify(result, null, 2));
    writeFileSync(join(root, 'bench/results-restart.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (ours.batchCounterBatches !== 1 || ours.batchCounterBans !== N || ours.dryRunRestoreEvents !== 0) {
      console.error('the restore must be one batch per action of every ban, with no restore events');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
