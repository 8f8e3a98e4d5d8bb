// Fleet benchmark (`pnpm bench:fleet`, after `pnpm build`; needs redis-server):
// 1. Propagation: three daemons share a real redis-server (unix socket, persistence off). 1,000 failure lines
//    (maxretry 1, a new address each) are appended one at a time to node a's log; for each, the time from a's
//    dry-run ban event to the same ban on b and on c (both records watched by this process). p50/p99/max.
// 2. Throughput: 10,000 bans decided on node a in one burst; the time until b and c hold all of them.
// 3. Redis memory per fleet ban: N bans (default 1,000,000) recorded through the backend's own publish path
//    into a fresh redis-server; used_memory before and after.
// Results go to bench/results-fleet.json.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const memoryBans = Number(arg('bans', 1_000_000));
if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('redis-server not found (apt-get install redis-server)');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function startRedis(dir) {
  const socket = join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 300; i++) {
    if (existsSync(socket)) {
      const ok = await new Promise((r) => {
        const c = connect(socket);
        c.on('connect', () => c.write('PING\r\n'));
        c.on('data', (d) => (c.destroy(), r(String(d).startsWith('+PONG'))));
        c.on('error', () => r(false));
      });
      if (ok) return { child, socket, cli: (args) => spawnSync('redis-cli', ['-s', socket, ...args], { encoding: 'utf8' }).stdout };
    }
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

/** Follow a JSON-lines record: calls `onEvent(event, arrivalMs)` for each new line. */
function follow(file, onEvent) {
  let offset = 0;
  let rest = '';
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    const size = statSync(file).size;
    if (size <= offset) return;
    const now = performance.now();
    const fd = readFileSync(file);
    const text = rest + fd.subarray(offset, size).toString('utf8');
    offset = size;
    const lines = text.split('\n');
    rest = lines.pop();
    for (const l of lines) if (l) onEvent(JSON.parse(l), now);
  }, 1);
  return () => clearInterval(timer);
}

async function startNodes(dir, socket) {
  const nodes = [];
  for (const name of ['a', 'b', 'c']) {
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'auth.log'), '');
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/fleet-redis'],
      database: join(d, 'state.db'),
      socket: join(d, 'p.sock'),
      defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
      fleet: { redis: socket, name: 'bench', node: name },
      jails: { sshd: { filter: 'sshd', logpath: join(d, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(d, 'bans.jsonl') } }] } },
    };
    writeFileSync(join(d, 'portcullis.config.json'), JSON.stringify(config));
    const child = spawn(process.execPath, [cli, 'start', '--config', join(d, 'portcullis.config.json'), '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    nodes.push({ name, dir: d, child });
  }
  for (const n of nodes) {
    for (let i = 0; i < 400; i++) {
      const r = spawnSync(process.execPath, [cli, 'status', '--fleet', '--json', '--config', join(n.dir, 'portcullis.config.json')], { encoding: 'utf8' });
      if (r.status === 0 && JSON.parse(r.stdout).connected) break;
      await sleep(50);
    }
  }
  return nodes;
}

const line = (ip, pid) => `${new Date().toISOString()} host sshd[${pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;

async function propagation(nodes) {
  const seen = { a: new Map(), b: new Map(), c: new Map() };
  const stops = nodes.map((n) => follow(join(n.dir, 'bans.jsonl'), (e, t) => e.event === 'ban' && !seen[n.name].has(e.ip) && seen[n.name].set(e.ip, t)));
  const ips = [];
  for (let i = 0; i < 1000; i++) {
    const ip = `198.18.${i >> 8}.${i & 255}`;
    ips.push(ip);
    appendFileSync(join(nodes[0].dir, 'auth.log'), line(ip, 1000 + i));
    const end = Date.now() + 10_000;
    while (!(seen.b.has(ip) && seen.c.has(ip)) && Date.now() < end) await sleep(1);
  }
  for (const s of stops) s();
  const delays = [];
  let missing = 0;
  for (const ip of ips) {
    const t0 = seen.a.get(ip);
    for (const other of ['b', 'c']) {
      const t = seen[other].get(ip);
      if (t0 === undefined || t === undefined) missing++;
      else delays.push(Math.max(0, t - t0));
    }
  }
  delays.sort((x, y) => x - y);
  return { bans: ips.length, samples: delays.length, missing, p50ms: +percentile(delays, 50).toFixed(2), p99ms: +percentile(delays, 99).toFixed(2), maxms: +delays.at(-1).toFixed(2) };
}

async function throughput(nodes) {
  const count = 10_000;
  const have = { b: new Set(), c: new Set() };
  const stops = nodes.slice(1).map((n) => follow(join(n.dir, 'bans.jsonl'), (e) => e.event === 'ban' && e.ip.startsWith('198.19.') && have[n.name].add(e.ip)));
  let text = '';
  for (let i = 0; i < count; i++) text += line(`198.19.${i >> 8}.${i & 255}`, 5000 + i);
  const t0 = performance.now();
  appendFileSync(join(nodes[0].dir, 'auth.log'), text);
  const end = Date.now() + 120_000;
  while ((have.b.size < count || have.c.size < count) && Date.now() < end) await sleep(5);
  const seconds = (performance.now() - t0) / 1000;
  for (const s of stops) s();
  return { bans: count, appliedOnB: have.b.size, appliedOnC: have.c.size, seconds: +seconds.toFixed(2), bansPerSecond: Math.round(count / seconds) };
}

async function memory(dir) {
  const redis = await startRedis(join(dir));
  const used = () => Number(/used_memory:(\d+)/.exec(redis.cli(['INFO', 'memory']))[1]);
  const { createRedisFleet } = await import(pathToFileURL(join(root, 'plugins/fleet-redis/dist/index.js')).href);
  let connected = false;
  const fleet = createRedisFleet({ url: redis.socket }, {
    fleet: 'mem',
    node: 'bench',
    share: ['bans'],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child() { return this; } },
    configDir: dir,
    applyBan: () => false,
    liftBan: () => {},
    localBans: () => [],
    connectionChanged: (c) => (connected = c),
  });
  await fleet.start();
  for (let i = 0; i < 200 && !connected; i++) await sleep(25);
  const before = used();
  const t0 = performance.now();
  const now = Date.now();
  for (let i = 0; i < memoryBans; i += 5000) {
    const batch = [];
    for (let j = i; j < Math.min(memoryBans, i + 5000); j++) {
      const ip = j % 2 ? `10.${(j >> 16) & 255}.${(j >> 8) & 255}.${j & 255}` : `2001:db8:${(j >> 16).toString(16)}:${(j & 0xffff).toString(16)}::/64`;
      batch.push({ jail: 'sshd', target: ip, time: now, bantime: 86_400_000, failures: 5, banCount: 1, node: 'bench' });
    }
    await fleet.publishBans(batch);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = used();
  const keys = Number(redis.cli(['DBSIZE']).trim());
  await fleet.stop();
  redis.child.kill('SIGKILL');
  return { bans: memoryBans, keys, usedMemoryMiB: +((after - before) / 1048576).toFixed(1), bytesPerBan: Math.round((after - before) / memoryBans), publishSeconds: +seconds.toFixed(1) };
}

const dir = mkdtempSync(join(tmpdir(), 'pcl-fleet-bench-'));
let redis;
let nodes = [];
const results = {};
try {
  redis = await startRedis(dir);
  nodes = await startNodes(dir, redis.socket);
  results.propagation = await propagation(nodes);
  console.log('propagation', results.propagation);
  results.throughput = await throughput(nodes);
  console.log('throughput', results.throughput);
} finally {
  for (const n of nodes) n.child.kill('SIGKILL');
  redis?.child.kill('SIGKILL');
}
const memDir = join(dir, 'mem');
mkdirSync(memDir);
results.memory = await memory(memDir);
console.log('memory', results.memory);
rmSync(dir, { recursive: true, force: true });
results.node = process.version;
writeFileSync(join(root, 'bench/results-fleet.json'), `${JSON.stringify(results, null, 2)}\n`);
