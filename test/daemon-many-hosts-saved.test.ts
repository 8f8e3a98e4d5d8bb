import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type JailDaemon, jailFolder, sshdFailure as line, useBuiltDaemons } from './jail-daemon.js';
import { countRows } from './store-reader.js';

/**
 * Many hosts failing once, written to the log in one go: the daemon reads them 256 KiB at a time, hands
 * them on 128 lines at a time and saves a second's worth of changed hosts as records built while the store
 * writes them (issue 15: a million such hosts in ≤ 64 MB). Nothing of that may lose a host: after a stop
 * every host's failure is in the store, a restart resumes all of them, and one more failure bans each.
 */

let jd: JailDaemon;

const hosts = 30_000;
const host = (i: number) => `10.8.${(i >> 8) & 255}.${i & 255}`;
const status = () => jd.status('sshd');

describe('many hosts failing once', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('are all counted, all saved, all resumed after a restart, and each banned by its next failure', async () => {
    const folder = jailFolder('many-hosts');
    const log = folder.emptyFile('auth.log');
    const db = folder.path('state.db');
    jd = await folder.start({
      defaults: { maxretry: 2, findtime: '1h', bantime: '1h', ignoreip: [] },
      jails: { sshd: { filter: 'sshd', logpath: log, actions: [folder.dryRun()] } },
    });
    const { daemon } = jd;
    let burst = '';
    for (let i = 0; i < hosts; i++) burst += line(host(i), 1000 + (i % 5000));
    appendFileSync(log, burst);
    await jd.until(async () => (await status()).currentlyFailed === hosts, `${hosts} hosts counted`, 60_000);
    expect((await status()).currentlyBanned).toBe(0);

    await daemon.stop();
    expect(countRows(db, 'SELECT count(*) AS n FROM failures')).toBe(hosts);
    await daemon.start();
    expect(daemon.output).toContain(`resumed counting the failures of ${hosts} host(s)`);
    expect((await status()).currentlyFailed).toBe(hosts);

    let second = '';
    for (let i = 0; i < hosts; i++) second += line(host(i), 9000);
    appendFileSync(log, second);
    await jd.until(async () => (await status()).currentlyBanned === hosts, `all ${hosts} hosts banned`, 60_000);
    const banned = jd.bans().filter((e) => e.event === 'ban').map((e) => e.ip);
    expect(new Set(banned).size).toBe(hosts);
    expect((await status()).currentlyFailed).toBe(0);
  }, 180_000);
});
