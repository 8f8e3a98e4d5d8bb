// Failure line appended -> address in the kernel's nftables set (run with `pnpm bench:nft-latency`, as
// root, after `pnpm build`). A network namespace is created for the run (`ip netns add`, removed at the end
// even on failure): the daemon runs in it with the sshd filter and the nftables action (maxretry 1), and
// `nft monitor new elements` runs in it too. N failure lines, each for a new address, are appended one
// at a time; for each, the time from the write to the monitor's `add element` event naming the address
// (no polling: the kernel's own notification). The first WARMUP bans (the daemon's and nft's first use)
// are left out; p50/p95/p99/max of the rest are reported and written to bench/results-nft-latency.json.
// `--cli <path>` measures another build's cli.js (e.g. an older checkout) without writing the results.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const cli = arg('--cli') ?? join(root, 'apps/portcullis/dist/cli.js');
const N = Number(arg('--lines') ?? 500);
const WARMUP = 10;
if (!existsSync(cli)) {
  console.error(`${cli} is not built: run pnpm build first`);
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('bench:nft-latency needs root (it creates a network namespace and nftables sets in it)');
  process.exit(2);
}
for (const tool of ['/usr/sbin/ip', '/usr/sbin/nft']) {
  if (!existsSync(tool)) {
    console.error(`${tool} not found (apt-get install iproute2 nftables)`);
    process.exit(2);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ns = `pcl-bench-lat${process.pid % 100000}`;
const removeNs = () => spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
mkdirSync(join(root, 'bench/data'), { recursive: true });
const dir = mkdtempSync(join(root, 'bench/data/nft-lat-'));
const children = [];
const cleanup = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  removeNs();
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function run() {
  removeNs();
  const made = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`ip netns add ${ns}: ${made.stderr}`);
  spawnSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);

  // The kernel's add-element events, in the namespace; each line names the element added.
  const monitor = spawn('ip', ['netns', 'exec', ns, 'nft', 'monitor', 'new', 'elements'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(monitor);
  const seen = new Map();
  let waiting;
  let rest = '';
  monitor.stdout.setEncoding('utf8').on('data', (d) => {
    const at = process.hrtime.bigint();
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      for (const m of line.matchAll(/(\d+\.\d+\.\d+\.\d+)/g)) if (!seen.has(m[1])) seen.set(m[1], at);
    }
    if (waiting && seen.has(waiting.ip)) waiting.resolve();
  });

  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  const config = join(dir, 'portcullis.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-nftables'],
      database: join(dir, 'p.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
      jails: { sshd: { filter: 'sshd', logpath: log, actions: [{ id: 'nftables', options: { table: 'pclbench' } }] } },
    }),
  );
  const daemon = spawn('ip', ['netns', 'exec', ns, process.execPath, cli, 'start', '--config', config, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(daemon);
  for (let i = 0; i < 200 && !existsSync(join(dir, 'p.sock')); i++) await sleep(50);
  if (!existsSync(join(dir, 'p.sock'))) throw new Error('daemon did not start');
  // The jail's set exists once the action started: wait for it before timing anything.
  for (let i = 0; i < 200; i++) {
    if (spawnSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'set', 'inet', 'pclbench', 'j_sshd_v4'], { stdio: 'ignore' }).status === 0) break;
    await sleep(50);
  }

  const fd = openSync(log, 'a');
  const samples = [];
  for (let i = 0; i < N + WARMUP; i++) {
    const ip = `10.78.${i >> 8}.${i & 255}`;
    const added = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${ip} not in the set within 10 s`)), 10_000);
      waiting = {
        ip,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
    const t0 = process.hrtime.bigint();
    writeSync(fd, `${new Date().toISOString()} bench sshd[${1000 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`);
    if (seen.has(ip)) waiting.resolve();
    await added;
    if (i >= WARMUP) samples.push(Number(seen.get(ip) - t0) / 1e6);
  }
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  monitor.kill('SIGTERM');
  const sorted = [...samples].sort((a, b) => a - b);
  const fixed = (v) => +v.toFixed(2);
  return {
    bans: samples.length,
    warmup: WARMUP,
    p50ms: fixed(percentile(sorted, 50)),
    p95ms: fixed(percentile(sorted, 95)),
    p99ms: fixed(percentile(sorted, 99)),
    maxms: fixed(sorted.at(-1)),
    loadavg1: +loadavg()[0].toFixed(2),
  };
}

let results;
try {
  results = await run();
} finally {
  cleanup();
}
console.log(JSON.stringify(results, null, 2));
if (!arg('--cli')) writeFileSync(join(root, 'bench/results-nft-latency.json'), `${JSON.stringify(results, null, 2)}\n`);
