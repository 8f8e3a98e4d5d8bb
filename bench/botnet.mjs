// `pnpm bench:botnet`: a slow distributed brute force, replayed through the daemon.
//
// bench/generate-botnet-log.mjs writes one day of auth.log (seeded). It is replayed through a real
// `portcullis start` twice — with Portcullis's defaults (the embedded config's sshd jail) and with
// fail2ban's default rule (maxretry 5 per address within 10 min, bantime 10 min) — each time with the dry-run
// action and the log's own clock: bench/virtual-clock.cjs makes the daemon's Date.now() and long timers
// follow the time the bench sends before each 10 s of log. For each run it prints the botnet's attempts
// after the first ban or campaign and how many of them a ban in force blocked, the classic brute force's,
// legitimate users banned, bans issued, and the daemon's peak RSS (VmHWM); bench/results-botnet.json.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkContains, parseNetwork } from '@portcullis/core';
import { embeddedConfig } from '@portcullis/core/engine';
import { DAY, generateBotnetLog } from './generate-botnet-log.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
if (!existsSync(cli)) {
  console.error('apps/portcullis is not built: run pnpm build first');
  process.exit(2);
}
mkdirSync(join(root, 'bench/data'), { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STEP = 10_000;
/** The node options the shipped systemd unit runs the daemon with (BENCH_NODE_OPTIONS overrides; '' for none). */
const nodeFlags = (process.env.BENCH_NODE_OPTIONS ?? /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(root, 'dist/portcullis.service'), 'utf8'))?.[1] ?? '').split(' ').filter(Boolean);

const { events, users, classic } = generateBotnetLog();
const legitIps = users.map((u) => u.ip);

/** The sshd jail of the embedded config (what runs with no config file), reading our log. */
function defaultsJail() {
  const embedded = embeddedConfig();
  const { logpath, backend, actions, ...jail } = embedded.jails.sshd;
  return { defaults: embedded.defaults, jail };
}
const fail2banJail = () => ({ defaults: { bantime: '10m', findtime: '10m', maxretry: 5, ignoreip: ['127.0.0.1/8', '::1'] }, jail: { filter: 'sshd', ipv6prefix: 128 } });

async function replay(name, { defaults, jail }) {
  const dir = mkdtempSync(join(root, 'bench/data/botnet-'));
  const log = join(dir, 'auth.log');
  const bans = join(dir, 'bans.jsonl');
  const port = 19_400 + Math.floor(Math.random() * 500);
  writeFileSync(log, '');
  const config = {
    plugins: ['@portcullis/filter-sshd'],
    database: join(dir, 'p.db'),
    socket: join(dir, 'p.sock'),
    metrics: { listen: `127.0.0.1:${port}` },
    defaults,
    jails: { sshd: { ...jail, logpath: log, actions: [{ id: 'dry-run', options: { file: bans } }] } },
  };
  writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [...nodeFlags, '--require', join(root, 'bench/virtual-clock.cjs'), cli, 'start', '--config', join(dir, 'portcullis.config.json'), '--log-level', 'error'], {
    cwd: root,
    env: { ...process.env, BENCH_CLOCK_START: String(DAY) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const replies = [];
  child.on('message', (m) => replies.push(m));
  const setClock = async (now) => {
    const seen = replies.length;
    child.send({ now });
    for (let i = 0; replies.length === seen; i++) {
      if (i > 10_000) throw new Error('the daemon does not answer the clock');
      await sleep(1);
    }
  };
  const metric = async () => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    return Number(/portcullis_lines_total\{jail="sshd"\} (\d+)/.exec(text)?.[1] ?? 0);
  };
  for (let i = 0; i < 200 && !existsSync(config.socket); i++) await sleep(50);
  if (!existsSync(config.socket)) throw new Error('daemon did not start');
  const t0 = Date.now();
  let written = 0;
  for (let i = 0; i < events.length; ) {
    const bucket = Math.floor(events[i].time / STEP) * STEP + STEP - 1;
    let text = '';
    for (; i < events.length && events[i].time <= bucket; i++, written++) text += `${events[i].text}\n`;
    await setClock(bucket);
    appendFileSync(log, text);
    // One scrape per step when the daemon keeps up: scraping is work the daemon's RSS would show.
    for (let k = 0, wait = 4; (await sleep(wait), await metric()) < written; k++, wait = Math.min(wait * 2, 50)) {
      if (k > 1000) throw new Error(`the daemon read ${await metric()} of ${written} lines`);
    }
  }
  // The rest of the day: every ban that is due ends.
  for (let t = events.at(-1).time; t < DAY + 48 * 3_600_000; t += 60_000) await setClock(t);
  await sleep(200);
  const seconds = (Date.now() - t0) / 1000;
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const out = readFileSync(bans, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  rmSync(dir, { recursive: true, force: true });
  return { name, seconds, peakRssMiB: Math.round((hwm / 1024) * 10) / 10, ...score(out) };
}

/** Ban intervals from the dry-run events, then what each attempt met. */
function score(out) {
  const intervals = [];
  const open = new Map();
  for (const e of out) {
    if (e.event === 'ban') {
      const iv = { net: parseNetwork(e.ip), from: Date.parse(e.time), to: Number.POSITIVE_INFINITY, reason: e.reason ?? 'failures' };
      intervals.push(iv);
      open.set(e.ip, iv);
    } else if (e.event === 'unban' && open.has(e.ip)) {
      open.get(e.ip).to = Date.parse(e.time);
      open.delete(e.ip);
    }
  }
  const covering = (ip) => {
    const a = parseNetwork(ip);
    return intervals.filter((iv) => networkContains(iv.net, a));
  };
  const cache = new Map();
  const bansOf = (ip) => cache.get(ip) ?? (cache.set(ip, covering(ip)), cache.get(ip));
  const blockedAt = (ip, t) => bansOf(ip).some((iv) => iv.from <= t && t < iv.to);
  const campaigns = out.filter((e) => e.event === 'campaign');
  const botBans = intervals.filter((iv) => events.some((e) => e.kind === 'botnet' && networkContains(iv.net, parseNetwork(e.ip))));
  const detected = Math.min(campaigns.length ? Date.parse(campaigns[0].time) : Number.POSITIVE_INFINITY, ...botBans.map((iv) => iv.from));
  const part = (kind, since) => {
    const attempts = events.filter((e) => e.kind === kind && e.time >= since);
    const blocked = attempts.filter((e) => blockedAt(e.ip, e.time)).length;
    return { attempts: attempts.length, blocked, reached: attempts.length - blocked, blockedPercent: attempts.length ? Math.round((1000 * blocked) / attempts.length) / 10 : 0 };
  };
  const classicBan = intervals.find((iv) => networkContains(iv.net, parseNetwork(classic)));
  return {
    botnet: {
      attempts: events.filter((e) => e.kind === 'botnet').length,
      detected: Number.isFinite(detected) ? new Date(detected).toISOString() : null,
      afterDetection: Number.isFinite(detected) ? part('botnet', detected) : { attempts: 0, blocked: 0, reached: events.filter((e) => e.kind === 'botnet').length, blockedPercent: 0 },
    },
    classic: { attempts: 300, firstBan: classicBan ? new Date(classicBan.from).toISOString() : null, afterBan: classicBan ? part('classic', classicBan.from) : null },
    legitimateUsersBanned: legitIps.filter((ip) => bansOf(ip).length > 0).length,
    bans: intervals.length,
    networkBans: intervals.filter((iv) => iv.net.prefix !== (iv.net.family === 4 ? 32 : 128)).length,
    campaigns: campaigns.length,
  };
}

const runs = [await replay('portcullis defaults', defaultsJail()), await replay("fail2ban's default rule", fail2banJail())];
const legitFailures = events.filter((e) => e.kind === 'legit' && !e.ok).length;
const result = {
  log: { lines: events.length, botnetAttempts: runs[0].botnet.attempts, legitimateUsers: users.length, legitimateFailures: legitFailures, classicAttempts: 300 },
  targets: { botnetBlockedPercentAtLeast: 80, legitimateUsersBanned: 0, peakRssMiBBelow: 100 },
  runs,
  node: process.version,
  nodeOptions: nodeFlags.join(' '),
};
const rows = [['', ...runs.map((r) => r.name)]];
const row = (label, f) => rows.push([label, ...runs.map(f)]);
row('botnet detected at (first ban or campaign)', (r) => r.botnet.detected?.slice(11, 19) ?? 'never');
row('botnet attempts after detection', (r) => String(r.botnet.afterDetection.attempts));
row('  … still reaching the service', (r) => `${r.botnet.afterDetection.reached} (${(100 - r.botnet.afterDetection.blockedPercent).toFixed(1)} %)`);
row('  … blocked by a ban in force', (r) => `${r.botnet.afterDetection.blocked} (${r.botnet.afterDetection.blockedPercent} %)`);
row('classic brute force: attempts reaching after its ban', (r) => (r.classic.afterBan ? `${r.classic.afterBan.reached} of ${r.classic.afterBan.attempts}` : 'never banned'));
row('legitimate users banned', (r) => String(r.legitimateUsersBanned));
row('bans issued (networks)', (r) => `${r.bans} (${r.networkBans})`);
row('campaigns', (r) => String(r.campaigns));
row('peak RSS', (r) => `${r.peakRssMiB} MiB`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log(`daemon node options: ${nodeFlags.join(' ') || 'none'} (dist/portcullis.service)`);
console.log(`one day of auth.log: ${events.length.toLocaleString('en')} lines, ${result.log.botnetAttempts.toLocaleString('en')} botnet attempts, ${users.length} users (${legitFailures} typos), 300 classic`);
for (const r of rows) console.log(r.map((v, c) => v.padEnd(widths[c])).join('  '));
writeFileSync(join(root, 'bench/results-botnet.json'), `${JSON.stringify(result, null, 2)}\n`);
const p = runs[0];
const met = p.botnet.afterDetection.blockedPercent >= 80 && p.legitimateUsersBanned === 0 && p.peakRssMiB < 100;
console.log(met ? 'targets met: ≥ 80 % blocked after detection, 0 legitimate users banned, peak RSS < 100 MiB' : 'TARGETS MISSED');
if (!met) process.exitCode = 1;
