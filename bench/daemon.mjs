// Daemon benchmarks (run with `pnpm bench:daemon`, after `pnpm build`):
// 1. Latency: 1,000 failure lines appended one at a time to a watched log (maxretry 1), each for a new
//    address; for each, the time from the append to the dry-run ban event being written. p50/p99/max.
// 2. Sustained: 100,000 lines/s appended for 10 s to one watched file read by 7 jails (sshd, postfix,
//    courier-auth, vsftpd, lighttpd-auth, qmail, apache-auth); the daemon's CPU (utime+stime from /proc)
//    and peak RSS (VmHWM) are reported. Checked, or the bench fails: every jail read every line
//    (Prometheus lines counter), and each jail banned exactly the addresses that failed maxretry times in
//    the lines written (dry-run events), so the figures are those of a daemon doing all of its work.
// To profile the daemon: BENCH_DAEMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (node options for the
// daemon only); `--only sustained` or `--only latency` runs one part (the results file is then not written).
import { spawn } from 'node:child_process';
import { mkdirSync, appendFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
mkdirSync(join(root, 'bench/data'), { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const problems = [];
/** A check failed: the bench reports it and exits non-zero (its figures would not mean what they say). */
const fail = (message) => {
  console.error(`bench check failed: ${message}`);
  problems.push(message);
};
const clkTck = 100;

function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpu: (Number(stat[11]) + Number(stat[12])) / clkTck, hwmMiB: hwm / 1024 };
}

async function startDaemon(dir, config) {
  writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config, null, 2));
  const nodeArgs = process.env.BENCH_DAEMON_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, cli, 'start', '--config', join(dir, 'portcullis.config.json'), '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const sock = join(dir, 'p.sock');
  for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(50);
  if (!existsSync(sock)) throw new Error('daemon did not start');
  return child;
}

async function stopDaemon(child) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function latency() {
  const dir = mkdtempSync(join(root, 'bench/data/daemon-lat-'));
  const log = join(dir, 'auth.log');
  const bans = join(dir, 'bans.jsonl');
  writeFileSync(log, '');
  const child = await startDaemon(dir, {
    plugins: ['@portcullis/filter-sshd'],
    database: join(dir, 'p.db'),
    socket: join(dir, 'p.sock'),
    defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
    jails: { sshd: { filter: 'sshd', logpath: log, actions: [{ id: 'dry-run', options: { file: bans } }] } },
  });
  const fd = openSync(log, 'a');
  const samples = [];
  let seen = 0;
  for (let i = 0; i < 1000; i++) {
    const ip = `10.77.${i >> 8}.${i & 255}`;
    const t0 = process.hrtime.bigint();
    writeSync(fd, `${new Date().toISOString()} bench sshd[${1000 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`);
    for (;;) {
      const text = existsSync(bans) ? readFileSync(bans, 'utf8') : '';
      const n = text ? text.split('\n').length - 1 : 0;
      if (n > seen) {
        seen = n;
        break;
      }
      if (Number(process.hrtime.bigint() - t0) > 5e9) throw new Error(`ban ${i} not seen within 5 s`);
      await new Promise((r) => setImmediate(r));
    }
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await stopDaemon(child);
  const events = readFileSync(bans, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const distinct = new Set(events.filter((e) => e.event === 'ban').map((e) => e.ip));
  if (events.length !== 1000 || distinct.size !== 1000) fail(`latency: expected 1000 bans of 1000 addresses, got ${events.length} events for ${distinct.size} addresses`);
  rmSync(dir, { recursive: true, force: true });
  const sorted = [...samples].sort((a, b) => a - b);
  return { bans: samples.length, p50ms: +percentile(sorted, 50).toFixed(2), p99ms: +percentile(sorted, 99).toFixed(2), maxms: +sorted.at(-1).toFixed(2) };
}

async function sustained() {
  const dir = mkdtempSync(join(root, 'bench/data/daemon-sus-'));
  const log = join(dir, 'mixed.log');
  writeFileSync(log, '');
  const filters = { sshd: '@portcullis/filter-sshd', postfix: '@portcullis/filter-postfix', 'courier-auth': '@portcullis/filter-courier', vsftpd: '@portcullis/filter-vsftpd', 'lighttpd-auth': '@portcullis/filter-lighttpd', qmail: '@portcullis/filter-qmail', 'apache-auth': '@portcullis/filter-apache' };
  const jails = Object.fromEntries(Object.keys(filters).map((id) => [id, { filter: id, logpath: log, actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] }]));
  const child = await startDaemon(dir, {
    plugins: [...new Set(Object.values(filters))],
    database: join(dir, 'p.db'),
    socket: join(dir, 'p.sock'),
    metrics: { listen: '127.0.0.1:19393' },
    defaults: { maxretry: 5, findtime: '10m', bantime: '10m', ignoreip: [] },
    jails,
  });
  // A realistic mix: mostly benign sshd/cron/postfix lines, some failures of each service.
  const now = () => new Date().toISOString();
  const templates = [
    (i) => `${now()} h sshd[${i % 5000}]: Accepted publickey for deploy from 10.1.${(i >> 8) & 255}.${i & 255} port 50022 ssh2: ED25519 SHA256:abc`,
    (i) => `${now()} h CRON[${i % 9000}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
    (i) => `${now()} h postfix/smtpd[${i % 7000}]: connect from unknown[10.2.${(i >> 8) & 255}.${i & 255}]`,
    (i) => `${now()} h sshd[${i % 5000}]: Failed password for invalid user admin from 10.3.${(i >> 8) & 255}.${i & 255} port 4242 ssh2`,
    (i) => `${now()} h postfix/smtpd[${i % 7000}]: NOQUEUE: reject: RCPT from unknown[10.4.${(i >> 8) & 255}.${i & 255}]: 554 5.7.1 <x@example.org>: Relay access denied; from=<a@b.example> to=<x@example.org> proto=ESMTP helo=<x>`,
    (i) => `${now()} h imapd: LOGIN FAILED, user=bob, ip=[::ffff:10.5.${(i >> 8) & 255}.${i & 255}]`,
    (i) => `${now()} h systemd[1]: Started Session ${i} of User deploy.`,
    (i) => `${now()} h kernel: [${i}.000] IN=eth0 OUT= MAC=00 SRC=10.6.0.1 DST=10.0.0.1 LEN=60`,
  ];
  // Which templates each jail's filter counts (templates[3] sshd, [4] postfix, [5] courier-auth); the
  // addresses that fail at least maxretry times are the bans to expect.
  const counted = { sshd: 3, postfix: 4, 'courier-auth': 5 };
  const maxretry = 5;
  const rate = 100_000;
  const seconds = 10;
  const fd = openSync(log, 'a');
  const before = procStats(child.pid);
  const t0 = Date.now();
  let written = 0;
  for (let s = 0; s < seconds * 20; s++) {
    const batch = [];
    for (let k = 0; k < rate / 20; k++, written++) batch.push(templates[written % templates.length](written));
    writeSync(fd, `${batch.join('\n')}\n`);
    const due = t0 + ((s + 1) * 1000) / 20;
    if (Date.now() < due) await sleep(due - Date.now());
  }
  const elapsed = (Date.now() - t0) / 1000;
  // Let the daemon finish what was written (generous: a loaded machine), then read its counters.
  const readBy = (text, jail) => Number(new RegExp(`portcullis_lines_total\\{jail="${jail}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  let text = '';
  for (let i = 0; i < 600; i++) {
    text = await fetch('http://127.0.0.1:19393/metrics').then((r) => r.text());
    if (Object.keys(filters).every((j) => readBy(text, j) >= written)) break;
    await sleep(100);
  }
  const read = readBy(text, 'sshd');
  for (const jail of Object.keys(filters)) if (readBy(text, jail) !== written) fail(`sustained: jail ${jail} read ${readBy(text, jail)} of ${written} lines`);
  const after = procStats(child.pid);
  await stopDaemon(child);
  const expected = Object.fromEntries(Object.keys(filters).map((j) => [j, 0]));
  for (const [jail, template] of Object.entries(counted)) {
    const failures = new Map();
    for (let i = template; i < written; i += templates.length) {
      const key = `${(i >> 8) & 255}.${i & 255}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    expected[jail] = [...failures.values()].filter((n) => n >= maxretry).length;
  }
  const bans = Object.fromEntries(Object.keys(filters).map((j) => [j, 0]));
  for (const line of readFileSync(join(dir, 'bans.jsonl'), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.event === 'ban') bans[e.jail]++;
  }
  for (const jail of Object.keys(filters)) if (bans[jail] !== expected[jail]) fail(`sustained: jail ${jail} banned ${bans[jail]} addresses, expected ${expected[jail]}`);
  rmSync(dir, { recursive: true, force: true });
  return {
    jails: Object.keys(filters).length,
    linesWritten: written,
    linesRead: read,
    bans,
    writeRate: Math.round(written / elapsed),
    cpuCores: +((after.cpu - before.cpu) / elapsed).toFixed(2),
    peakRssMiB: Math.round(after.hwmMiB),
  };
}

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const results = {
  ...(only === undefined || only === 'latency' ? { latency: await latency() } : {}),
  ...(only === undefined || only === 'sustained' ? { sustained: await sustained() } : {}),
};
console.log(JSON.stringify(results, null, 2));
if (problems.length) process.exit(1);
if (only !== undefined) process.exit(0);
writeFileSync(join(root, 'bench/results-daemon.json'), `${JSON.stringify(results, null, 2)}\n`);
