import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { countRows } from './store-reader.js';

/**
 * Failures survive a crash: the daemon saves the failures it counted with the read positions of the lines
 * they came from (one transaction, about once a second). Killed with SIGKILL in the middle of a burst, it
 * comes back with every host's earlier failures, reads the lines after the saved position once, and bans a
 * host when it fails the remaining times — never sooner (a line counted twice would ban it sooner).
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);

let dir = '';
let daemon: DaemonProcess | undefined;

function line(ip: string, pid: number): string {
  return `${new Date().toISOString()} host sshd[${pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;
}
const host = (i: number) => `10.7.${(i >> 8) & 255}.${i & 255}`;

function bans(): string[] {
  const f = join(dir, 'bans.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string }).filter((e) => e.event === 'ban').map((e) => e.ip);
}

type Status = { totalFailed: number; currentlyFailed: number; currentlyBanned: number };
const status = () => daemon!.json<Status>(['status', 'sshd']);
const until = (cond: () => boolean | Promise<boolean>, ms: number, what: string) => waitFor(cond, ms, () => `${what}\n--- daemon ---\n${daemon?.output ?? ''}`, 50);

describe('failures across a crash', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('bans after kill -9 a host that failed before the crash and the remaining times after, and counts no line twice', async () => {
    dir = repoTempDir('failures-kill');
    const log = join(dir, 'auth.log');
    const db = join(dir, 'state.db');
    writeFileSync(log, '');
    const config = join(dir, 'portcullis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: db,
        socket: join(dir, 'p.sock'),
        plugins: ['@portcullis/filter-sshd'],
        defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: log, actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      }),
    );
    daemon = new DaemonProcess(config);
    await daemon.start();

    // A burst: every host fails twice (maxretry is 3), the two failures far apart in the file.
    const hosts = 6000;
    let written = 0;
    const burst = setInterval(() => {
      if (written >= 2 * hosts) return;
      let chunk = '';
      for (let k = 0; k < 50 && written < 2 * hosts; k++, written++) chunk += line(host(written % hosts), 1000 + written);
      appendFileSync(log, chunk);
    }, 10);
    try {
      // Killed while lines still arrive, once the store holds a good share of the failures.
      await until(() => existsSync(db) && countRows(db, 'SELECT count(*) AS n FROM failures') >= 1000, 30_000, '1,000 hosts with saved failures');
    } finally {
      clearInterval(burst);
    }
    expect(await daemon.stop('SIGKILL')).toBe('SIGKILL');
    let rest = '';
    for (; written < 2 * hosts; written++) rest += line(host(written % hosts), 1000 + written);
    appendFileSync(log, rest);
    const saved = countRows(db, 'SELECT count(*) AS n FROM failures');
    expect(saved).toBeGreaterThanOrEqual(1000);

    await daemon.start();
    expect(daemon.output).toMatch(/resumed counting the failures of \d+ host\(s\)/);
    // Every line of the burst counted once: each host has its two failures, none is banned.
    await until(async () => (await status()).currentlyFailed === hosts, 30_000, `${hosts} hosts with failures`);
    const after = await status();
    expect(after.currentlyBanned).toBe(0);
    expect(bans()).toEqual([]);

    // The third failure bans every host, each once.
    let third = '';
    for (let i = 0; i < hosts; i++) third += line(host(i), 50_000 + i);
    appendFileSync(log, third);
    await until(async () => (await status()).currentlyBanned === hosts, 30_000, `all ${hosts} hosts banned`);
    const banned = bans();
    expect(banned).toHaveLength(hosts);
    expect(new Set(banned).size).toBe(hosts);
  }, 120_000);
});
