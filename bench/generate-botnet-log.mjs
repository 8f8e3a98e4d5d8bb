// Deterministic generator of one day of auth.log under a slow distributed brute force (bench/botnet.mjs).
//
// - The botnet: 5,000 IPv4 addresses in 200 /24s (25 each) and 2,000 IPv6 addresses in 40 /64s (50 each),
//   each trying 1–3 passwords against 20 user names, its attempts minutes to an hour and a half apart,
//   between 01:00 and 09:00.
// - Legitimate traffic: 200 users, each from one stable address (a fifth IPv6), logging in 1–6 times
//   between 06:00 and 22:00. 3 % of them (6) mistype once or twice before they get in. Three of the users
//   have names the botnet also tries (admin, deploy, git); they are among the six, mistype twice, and do
//   it at their first login of the day during the attack — before any success of theirs is known, the
//   hardest case for a campaign rule.
// - A classic brute force: one address, 300 attempts on root and admin, one every 6 s from 10:30.
//
// Returns the lines in time order, each with its kind ('botnet', 'classic', 'legit'), address and time.
export const DAY = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const HOUR = 60 * MIN;
const NAMES = ['root', 'admin', 'test', 'user', 'ubuntu', 'oracle', 'postgres', 'git', 'guest', 'ftpuser', 'pi', 'deploy', 'www', 'mysql', 'support', 'dev', 'backup', 'jenkins', 'hadoop', 'minecraft'];
const SHARED = ['admin', 'deploy', 'git'];

export function generateBotnetLog(seed = 0x0b07_2026) {
  let s = seed >>> 0;
  /** mulberry32: small, fast, deterministic. */
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const hex = () => int(1, 0xfffe).toString(16);
  const events = [];
  let pid = 20_000;
  const failed = (time, ip, user, kind) => events.push({ time, ip, user, kind, ok: false });
  const accepted = (time, ip, user) => events.push({ time, ip, user, kind: 'legit', ok: true });

  // The botnet's networks: distinct /24s in 100.64–223 (first octets chosen not to meet the legit users').
  const nets4 = new Set();
  while (nets4.size < 200) nets4.add(`${int(100, 223)}.${int(0, 255)}.${int(0, 255)}`);
  const nets6 = new Set();
  while (nets6.size < 40) nets6.add(`2001:db8:${hex()}:${hex()}`);
  const bots = [];
  for (const n of nets4) {
    const hosts = new Set();
    while (hosts.size < 25) hosts.add(`${n}.${int(1, 254)}`);
    bots.push(...hosts);
  }
  for (const n of nets6) {
    const hosts = new Set();
    while (hosts.size < 50) hosts.add(`${n}:${hex()}:${hex()}:${hex()}:${hex()}`);
    bots.push(...hosts);
  }
  const start = DAY + 1 * HOUR;
  const end = DAY + 9 * HOUR;
  for (const ip of bots) {
    let t = start + Math.floor(rand() * (end - start));
    for (let k = int(1, 3); k > 0 && t < end; k--) {
      failed(t, ip, pick(NAMES), 'botnet');
      t += int(1, 90) * MIN + int(0, 59_999);
    }
  }

  // Legitimate users: stable addresses in 1–99.x.x.x (never a botnet /24) or their own IPv6 /64.
  const users = [];
  for (let i = 0; i < 200; i++) {
    const name = i < SHARED.length ? SHARED[i] : `staff${String(i).padStart(3, '0')}`;
    const ip = rand() < 0.2 ? `2a02:${hex()}:${hex()}:${(0x100 + i).toString(16)}::${hex()}` : `${int(1, 99)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
    const logins = [];
    for (let k = int(1, 6); k > 0; k--) logins.push(DAY + 6 * HOUR + Math.floor(rand() * 16 * HOUR));
    logins.sort((a, b) => a - b);
    users.push({ name, ip, logins });
  }
  // The three shared names plus three others mistype: 6 users, 3 %.
  const mistypers = new Set(users.slice(0, SHARED.length));
  while (mistypers.size < 6) mistypers.add(pick(users.slice(SHARED.length)));
  for (const u of users) {
    const shared = SHARED.includes(u.name);
    // The shared-name users' first login falls inside the attack (06:00–09:00).
    if (shared) u.logins[0] = DAY + 6 * HOUR + Math.floor(rand() * 3 * HOUR);
    u.logins.sort((a, b) => a - b);
    const typo = mistypers.has(u) ? (shared ? 0 : int(0, u.logins.length - 1)) : -1;
    u.logins.forEach((t, k) => {
      if (k === typo) {
        const times = shared ? 2 : int(1, 2);
        for (let m = times; m > 0; m--) failed(t - m * int(5, 20) * 1000, u.ip, u.name, 'legit');
      }
      accepted(t, u.ip, u.name);
    });
  }

  const classic = `${int(100, 223)}.${int(0, 255)}.${int(0, 255)}.${int(1, 254)}`;
  for (let k = 0; k < 300; k++) failed(DAY + 10.5 * HOUR + k * 6000, classic, k % 2 ? 'root' : 'admin', 'classic');

  events.sort((a, b) => a.time - b.time);
  for (const e of events) {
    const stamp = new Date(e.time).toISOString();
    const port = int(1024, 65535);
    e.text = e.ok
      ? `${stamp} web1 sshd[${++pid}]: Accepted password for ${e.user} from ${e.ip} port ${port} ssh2`
      : `${stamp} web1 sshd[${++pid}]: Failed password for ${e.user} from ${e.ip} port ${port} ssh2`;
  }
  return { events, users: users.map((u) => ({ name: u.name, ip: u.ip })), classic };
}
