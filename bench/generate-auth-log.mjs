// Deterministic generator of a realistic Debian auth.log for the sshd benchmark.
//
//   node bench/generate-auth-log.mjs [--lines N] [--seed S] [--out bench/data] [--name auth]
//
// Writes <out>/<name>.log and <out>/<name>.expected.json. About 30 % of the lines are sshd failures from
// ~50,000 hosts (IPv4 and IPv6 mixed); the rest is ordinary traffic (accepted logins, sessions, cron, sudo,
// systemd-logind). Every failure kind is generated in a way whose count in the sshd filter's `normal` mode
// is unambiguous: each counted line stands for exactly one failure and its connection (pid) holds nothing
// that a multi-line rule could merge or release (no pending publickey failures, no host-less
// "Disconnecting: Too many authentication failures"). Lines that do not count follow the failures as they
// do in real logs: bare `Connection closed … [preauth]`, PAM's failure line before sshd's `Failed password`,
// the closing line of a connection whose attempts were counted, normal logouts.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
};
const LINES = Number(arg('lines', 1_000_000));
const OUT = arg('out', join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'data'));
const NAME = arg('name', 'auth');
let seed = Number(arg('seed', 0x5eed1234)) >>> 0;

/** mulberry32: small, fast, deterministic. */
function rand() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const HOSTS = 50_000;
const hosts = [];
for (let i = 0; i < HOSTS; i++) {
  if (rand() < 0.2) hosts.push(`2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::${int(1, 0xfffe).toString(16)}`);
  else hosts.push(`${int(1, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`);
}
// Some attackers are much busier than others.
const attacker = () => hosts[Math.floor(HOSTS * rand() ** 2)];
const USERS = ['root', 'admin', 'test', 'user', 'oracle', 'postgres', 'ubuntu', 'git', 'ftpuser', 'guest', 'pi', 'deploy'];
const STAFF = ['alice', 'bob', 'carol', 'dave'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

let clock = Date.UTC(2024, 0, 2, 0, 0, 0);
let pid = 10_000;
const stamp = () => {
  clock += int(0, 600);
  const d = new Date(clock);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const t = [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${MON[d.getUTCMonth()]} ${day} ${t} web1`;
};

const counts = new Map();
const kinds = {};
const aggressiveCounts = new Map();
const aggressiveKinds = {};
const count = (kind, host, normal = true) => {
  if (normal) {
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    counts.set(host, (counts.get(host) ?? 0) + 1);
  }
  aggressiveKinds[kind] = (aggressiveKinds[kind] ?? 0) + 1;
  aggressiveCounts.set(host, (aggressiveCounts.get(host) ?? 0) + 1);
};

/**
 * One failed connection: a list of [line, kind-or-null, aggressive-kind] for one sshd pid. The third is a
 * line only aggressive mode counts: its ddos rule counts a bare `Connection closed by <HOST> port N
 * [preauth]`, also after failures of the same connection (sshd-aggressive.log and sshd-ddos.log show it).
 */
function attack() {
  const host = attacker();
  const port = int(1024, 65535);
  const p = pid++;
  const sshd = (msg) => `${stamp()} sshd[${p}]: ${msg}`;
  const out = [];
  const r = rand();
  if (r < 0.35) {
    const user = pick(USERS);
    const n = int(1, 3);
    for (let i = 0; i < n; i++) {
      out.push([sshd(`Failed password for ${user} from ${host} port ${port} ssh2`), 'failed-password']);
    }
    out.push([sshd(`Connection closed by ${host} port ${port} [preauth]`), null, 'closed-preauth']);
  } else if (r < 0.6) {
    const user = `${pick(USERS)}${int(0, 99)}`;
    out.push([sshd(`Invalid user ${user} from ${host} port ${port}`), 'invalid-user']);
    out.push([sshd(`Failed password for invalid user ${user} from ${host} port ${port} ssh2`), 'failed-password-invalid-user']);
    out.push([sshd(`Connection closed by ${host} port ${port} [preauth]`), null, 'closed-preauth']);
  } else if (r < 0.75) {
    // UsePAM: PAM's failure line, then sshd's own line for the same attempt (the one that counts), then the
    // client gives up.
    out.push([sshd(`pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${host}  user=root`), null]);
    out.push([sshd(`Failed password for root from ${host} port ${port} ssh2`), 'failed-password-pam']);
    out.push([sshd(`Connection closed by authenticating user root ${host} port ${port} [preauth]`), null]);
  } else if (r < 0.9) {
    out.push([sshd(`Connection closed by authenticating user ${pick(USERS)} ${host} port ${port} [preauth]`), 'closed-authenticating-user']);
  } else {
    out.push([sshd(`error: maximum authentication attempts exceeded for ${pick(USERS)} from ${host} port ${port} ssh2 [preauth]`), 'max-auth-attempts']);
  }
  return out;
}

/** Ordinary traffic: lines that no sshd rule in normal mode may count. */
function ordinary() {
  const r = rand();
  const p = pid++;
  if (r < 0.3) {
    const user = pick(STAFF);
    const from = `192.0.2.${int(1, 254)}`;
    const port = int(1024, 65535);
    return [
      `${stamp()} sshd[${p}]: Accepted publickey for ${user} from ${from} port ${port} ssh2: ED25519 SHA256:${'q'.repeat(8)}${int(1000, 9999)}`,
      `${stamp()} sshd[${p}]: pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`,
      `${stamp()} systemd-logind[612]: New session ${int(1, 9999)} of user ${user}.`,
      `${stamp()} sshd[${p}]: Received disconnect from ${from} port ${port}:11: disconnected by user`,
      `${stamp()} sshd[${p}]: Disconnected from user ${user} ${from} port ${port}`,
      `${stamp()} sshd[${p}]: pam_unix(sshd:session): session closed for user ${user}`,
    ];
  }
  if (r < 0.7) {
    return [
      `${stamp()} CRON[${p}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
      `${stamp()} CRON[${p}]: pam_unix(cron:session): session closed for user root`,
    ];
  }
  if (r < 0.85) {
    const user = pick(STAFF);
    return [
      `${stamp()} sudo[${p}]:     ${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx`,
      `${stamp()} sudo[${p}]: pam_unix(sudo:session): session opened for user root(uid=0) by ${user}(uid=1000)`,
      `${stamp()} sudo[${p}]: pam_unix(sudo:session): session closed for user root`,
    ];
  }
  if (r < 0.95) return [`${stamp()} systemd-logind[612]: Session ${int(1, 9999)} logged out. Waiting for processes to exit.`];
  return [`${stamp()} sshd[${p}]: Server listening on 0.0.0.0 port 22.`];
}

mkdirSync(OUT, { recursive: true });
const log = createWriteStream(join(OUT, `${NAME}.log`));
let written = 0;
let failureLines = 0;
let aggressiveLines = 0;
let batch = [];
const flush = async () => {
  if (!log.write(`${batch.join('\n')}\n`)) await new Promise((r) => log.once('drain', r));
  batch = [];
};
while (written < LINES) {
  const lines = rand() < 0.5 ? attack() : ordinary().map((l) => [l, null]);
  for (const [line, kind, aggressiveKind] of lines) {
    if (written >= LINES) break;
    batch.push(line);
    written++;
    if (kind || aggressiveKind) {
      if (kind) failureLines++;
      aggressiveLines++;
      const host = line.match(/(?:from|rhost=|user \S+|closed by) (\S+) port|rhost=(\S+)/);
      count(kind ?? aggressiveKind, host[1] ?? host[2], kind !== null && kind !== undefined);
    }
  }
  if (batch.length >= 10_000) await flush();
}
await flush();
await new Promise((r) => log.end(r));
const expected = {
  description: 'sshd failures per host as the sshd filter in normal mode counts them (one per counted line)',
  mode: 'normal',
  lines: written,
  failures: failureLines,
  kinds,
  hosts: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
};
writeFileSync(join(OUT, `${NAME}.expected.json`), `${JSON.stringify(expected, null, 1)}\n`);
const aggressive = {
  description: 'sshd failures per host as the sshd filter in aggressive mode counts them (one per counted line)',
  mode: 'aggressive',
  lines: written,
  failures: aggressiveLines,
  kinds: aggressiveKinds,
  hosts: Object.fromEntries([...aggressiveCounts].sort((a, b) => b[1] - a[1])),
};
writeFileSync(join(OUT, `${NAME}.expected-aggressive.json`), `${JSON.stringify(aggressive, null, 1)}\n`);
console.log(`wrote ${written} lines (${failureLines} failures from ${counts.size} hosts) to ${join(OUT, `${NAME}.log`)}`);
