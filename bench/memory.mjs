// `pnpm bench:memory`: what failure state costs in a running daemon (after `pnpm build`).
// 1. Address rotation: 10,000,000 failures from 10,000,000 distinct IPv6 addresses in 100 /64s, through
//    the embedded config's sshd jail (ipv6prefix 64, campaigns on). Tracking is per /64, so the daemon's
//    RSS must not grow with the addresses (target: < 30 MiB).
// 2. 1,000,000 tracked hosts: 1,000,000 distinct IPv4 addresses failing once each, a plain jail
//    (maxretry 5, findtime 1h): every one is held (target, issue 15: ≤ 64 MB).
// 3. The control for 1.: the same 10,000,000-line flood from one address — what rotation costs is the difference.
// BENCH_CASES=hosts (comma-separated: rotation, control, hosts) runs some of them only. BENCH_BEFORE=<dir>,
// a built copy of the repository at another commit, runs each case there too, right after ours, so the
// before and after come from the same run (`results-memory.json` gets a `before` beside each case).
// Lines go to the daemon's stdin (backend stdin); RSS is read from /proc before the first line (VmRSS),
// at the end (VmHWM, the peak) and 2 s later (VmRSS). The daemon runs with the node options of dist/portcullis.service.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedConfig } from '@portcullis/core/engine';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
mkdirSync(join(root, 'bench/data'), { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nodeFlags = (
  process.env.BENCH_NODE_OPTIONS ??
  /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(root, 'dist/portcullis.service'), 'utf8'))?.[1] ??
  ''
)
  .split(' ')
  .filter(Boolean);
const kib = (pid, field) =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const mib = (k) => Math.round((k / 1024) * 10) / 10;

const cases = (process.env.BENCH_CASES ?? 'rotation,control,hosts').split(',');
const beforeRoot = process.env.BENCH_BEFORE;

async function run(name, jail, defaults, lines, lineAt, cliPath = cli) {
  const dir = mkdtempSync(join(root, 'bench/data/memory-'));
  const port = 19_900 + Math.floor(Math.random() * 90);
  const config = {
    plugins: ['@portcullis/filter-sshd'],
    database: join(dir, 'p.db'),
    socket: join(dir, 'p.sock'),
    metrics: { listen: `127.0.0.1:${port}` },
    defaults,
    jails: {
      sshd: {
        ...jail,
        backend: 'stdin',
        actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }],
      },
    },
  };
  writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [...nodeFlags, cliPath, 'start', '--config', join(dir, 'c.json'), '--log-level', 'error'],
    { cwd: root, stdio: ['pipe', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 600 && !existsSync(config.socket); i++) await sleep(50);
  if (!existsSync(config.socket)) throw new Error('daemon did not start');
  await sleep(1000);
  const before = kib(child.pid, 'VmRSS');
  const t0 = Date.now();
  const stamp = new Date().toISOString();
  for (let i = 0; i < lines; ) {
    let chunk = '';
    for (const end = Math.min(lines, i + 10_000); i < end; i++)
      chunk += `${stamp} h sshd[7]: Failed password for root from ${lineAt(i)} port 22 ssh2\n`;
    if (!child.stdin.write(chunk)) await new Promise((r) => child.stdin.once('drain', r));
  }
  const read = async () =>
    Number(
      /portcullis_lines_total\{jail="sshd"\} (\d+)/.exec(
        await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()),
      )?.[1] ?? 0,
    );
  for (let k = 0; (await read()) < lines; k++) {
    if (k > 600) throw new Error(`the daemon read ${await read()} of ${lines} lines`);
    await sleep(100);
  }
  const seconds = (Date.now() - t0) / 1000;
  const status = JSON.parse(
    await new Promise((resolve) => {
      const c = spawn(process.execPath, [cli, 'status', 'sshd', '--json', '--socket', config.socket], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('close', () => resolve(out));
    }),
  );
  const peak = kib(child.pid, 'VmHWM');
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime + stime, in clock ticks of 1/100 s: the daemon's CPU time until every line was counted.
  const cpu = (Number(stat[11]) + Number(stat[12])) / 100;
  await sleep(2000);
  const after = kib(child.pid, 'VmRSS');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  return {
    name,
    lines,
    seconds,
    cpuS: cpu,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    rssBeforeMiB: mib(before),
    peakRssMiB: mib(peak),
    rssAfterMiB: mib(after),
    growthMiB: mib(peak - before),
    growthMB: Math.round(((peak - before) * 1024) / 1e5) / 10,
    tracked: status.currentlyFailed,
    bans: status.currentlyBanned,
  };
}

/** The case, then (with BENCH_BEFORE) the same case on the other build. */
async function measure(...args) {
  const ours = await run(...args);
  if (beforeRoot) ours.before = await run(...args, join(beforeRoot, 'apps/portcullis/dist/cli.js'));
  return ours;
}

const embedded = embeddedConfig();
const { logpath, backend, actions, ...sshd } = embedded.jails.sshd;
const hex = (n) => n.toString(16);
const resultsFile = join(root, 'bench/results-memory.json');
/** A case not run keeps its figures from the last run. */
const previous = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
const rotation = !cases.includes('rotation')
  ? previous.rotation
  : await measure(
      '10,000,000 IPv6 addresses in 100 /64s (embedded sshd jail)',
      sshd,
      embedded.defaults,
      10_000_000,
      (i) =>
        `2001:db8:77:${hex(i % 100)}:${hex((i >>> 16) & 0xffff)}:${hex(i & 0xffff)}:${hex((i * 7) & 0xffff)}:1`,
    );
// The control: the same flood from one IPv6 address. What rotation costs is the difference.
const control = !cases.includes('control')
  ? previous.control
  : await measure(
      '10,000,000 failures from one IPv6 address (the same flood, no rotation)',
      sshd,
      embedded.defaults,
      10_000_000,
      () => '2001:db8:77:1::1',
    );
const hosts = !cases.includes('hosts')
  ? previous.hosts
  : await measure(
      '1,000,000 IPv4 hosts failing once (maxretry 5, findtime 1h)',
      { filter: 'sshd' },
      { maxretry: 5, findtime: '1h', bantime: '10m', ignoreip: [] },
      1_000_000,
      (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
    );
const result = {
  date: new Date().toISOString(),
  nodeOptions: nodeFlags.join(' '),
  node: process.version,
  rotation,
  control,
  rotationCostMiB: mib((rotation.peakRssMiB - control.peakRssMiB) * 1024),
  hosts,
  targets: { rotationGrowthMiBBelow: 30, hostsGrowthMBAtMost: 64 },
};
const line = (r) =>
  `${r.lines.toLocaleString('en')} lines in ${r.seconds} s wall, ${r.cpuS} s CPU; RSS ${r.rssBeforeMiB} → peak ${r.peakRssMiB} MiB (+${r.growthMiB} MiB, +${r.growthMB} MB), ${r.rssAfterMiB} MiB after; tracked ${r.tracked.toLocaleString('en')}, banned ${r.bans}`;
for (const r of [rotation, control, hosts]) {
  console.log(`${r.name}: ${line(r)}`);
  if (r.before) console.log(`  before (${beforeRoot}): ${line(r.before)}`);
}
console.log(
  `address rotation costs ${result.rotationCostMiB} MiB of peak RSS over the same flood from one address`,
);
writeFileSync(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
const met = rotation.growthMiB < 30 && hosts.growthMB <= 64;
console.log(
  met
    ? 'targets met: rotation < 30 MiB, 1,000,000 hosts ≤ 64 MB'
    : `TARGETS MISSED: rotation +${rotation.growthMiB} MiB (< 30), 1,000,000 hosts +${hosts.growthMB} MB (≤ 64)`,
);
if (!met) process.exitCode = 1;
