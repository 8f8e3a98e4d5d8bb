import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { type NetnsPair, createNetnsPair, eventually, netnsUnavailable } from './netns.js';

/**
 * The route action through the daemon: a config file with an sshd jail and `route`, failures appended to
 * the log, and the kernel of a network namespace refusing the attacker until `portcullis unban`.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-route']);
const why = netnsUnavailable([]);
if (why && process.env.CI !== 'true') console.warn(`skipping the route action daemon test: ${why}`);

describe.skipIf(why !== undefined && process.env.CI !== 'true')('daemon + route action in a network namespace', () => {
  let ns: NetnsPair;
  let dir: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('drt');
    dir = repoTempDir('route');
    writeFileSync(join(dir, 'auth.log'), '');
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-route'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ipv6prefix: 128 }, // per address: routes for the attackers themselves
      jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'route', options: { commandPrefix: ns.serverPrefix } }] } },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    ns?.destroy();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('bans IPv4 and IPv6 attackers with routes, and unban lets them back', async () => {
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    let lines = '';
    for (const ip of [ns.attacker4, ns.attacker6]) {
      for (let i = 0; i < 3; i++) lines += `${new Date().toISOString()} host sshd[${200 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`;
    }
    appendFileSync(join(dir, 'auth.log'), lines);
    await waitFor(() => ns.inServer(['ip', '-6', 'route', 'show', 'proto', '236']).includes(ns.attacker6) && ns.inServer(['ip', 'route', 'show', 'proto', '236']).includes(ns.attacker4), 20_000, () => `routes for both attackers\n${daemon.output}`);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    const status = await daemon.json<{ banned: { ip: string }[] }>(['status', 'sshd']);
    expect(status.banned.map((b) => b.ip).sort()).toEqual([ns.attacker4, ns.attacker6].sort());
    expect((await daemon.client(['unban', ns.attacker4, ns.attacker6])).code).toBe(0);
    expect(await eventually(() => ns.canConnect(4) && ns.canConnect(6), 30_000)).toBe(true);
    await daemon.stop();
    expect(ns.inServer(['ip', 'route', 'show', 'proto', '236']).trim()).toBe('');
  });
});
