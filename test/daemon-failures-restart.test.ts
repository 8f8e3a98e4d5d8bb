import { appendFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type JailDaemon, jailFolder, sshdFailure as line, useBuiltDaemons } from './jail-daemon.js';
import { countRows } from './store-reader.js';

/**
 * Failures survive a crash: the daemon saves the failures it counted with the read positions of the lines
 * they came from (one transaction, about once a second). Killed with SIGKILL in the middle of a burst, it
 * comes back with every host's earlier failures, reads the lines after the saved position once, and bans a
 * host when it fails the remaining times — never sooner (a line counted twice would ban it sooner).
 */

let jd: JailDaemon;

const host = (i: number) => `10.7.${(i >> 8) & 255}.${i & 255}`;
const bans = () => jd.bans().filter((e) => e.event === 'ban').map((e) => e.ip);
const status = () => jd.status('sshd');

describe('failures across a crash', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('bans after kill -9 a host that failed before the crash and the remaining times after, and counts no line twice', async () => {
    const folder = jailFolder('failures-kill');
    const log = folder.emptyFile('auth.log');
    const db = folder.path('state.db');
    jd = await folder.start({
      defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ignoreip: [] },
      jails: { sshd: { filter: 'sshd', logpath: log, actions: [folder.dryRun()] } },
    });
    const { daemon } = jd;

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
      await jd.until(() => existsSync(db) && countRows(db, 'SELECT count(*) AS n FROM failures') >= 1000, '1,000 hosts with saved failures');
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
    await jd.until(async () => (await status()).currentlyFailed === hosts, `${hosts} hosts with failures`);
    const after = await status();
    expect(after.currentlyBanned).toBe(0);
    expect(bans()).toEqual([]);

    // The third failure bans every host, each once.
    let third = '';
    for (let i = 0; i < hosts; i++) third += line(host(i), 50_000 + i);
    appendFileSync(log, third);
    await jd.until(async () => (await status()).currentlyBanned === hosts, `all ${hosts} hosts banned`);
    const banned = bans();
    expect(banned).toHaveLength(hosts);
    expect(new Set(banned).size).toBe(hosts);
  }, 120_000);
});
