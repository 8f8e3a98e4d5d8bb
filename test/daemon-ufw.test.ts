import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listedRules } from '@portcullis/action-ufw';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { type NetnsPair, createNetnsPair, eventually } from './netns.js';
import { type UfwSandbox, startUfw, ufwUnavailable } from './ufw-sandbox.js';

/**
 * The ufw action through the daemon: a config file with an sshd jail and `ufw`, a real enabled ufw confined to
 * a namespace (private /etc/ufw), failures appended to the log, and the attacker refused until `portcullis unban`.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-ufw']);
const why = ufwUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping the ufw action daemon test: ${why}`);

describe.skipIf(why !== undefined && process.env.CI !== 'true')('daemon + ufw action (real ufw in namespaces)', () => {
  let ns: NetnsPair;
  let fw: UfwSandbox;
  let dir: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('dufw');
    fw = startUfw(ns.server, ns.port);
    dir = repoTempDir('ufw');
    writeFileSync(join(dir, 'auth.log'), '');
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-ufw'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      // One address per ban: the test checks the attacker's own address in the firewall (not its /64).
      defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ipv6prefix: 128 },
      jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'ufw', options: { commandPrefix: fw.prefix } }] } },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    fw?.destroy();
    ns?.destroy();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('bans IPv4 and IPv6 attackers with ufw rules, and unban lets them back', async () => {
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    let lines = '';
    for (const ip of [ns.attacker4, ns.attacker6]) {
      for (let i = 0; i < 3; i++) lines += `${new Date().toISOString()} host sshd[${200 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`;
    }
    appendFileSync(join(dir, 'auth.log'), lines);
    const ours = () => listedRules(fw.ufw(['status', 'numbered'])).filter((r) => r.jail === 'sshd').map((r) => r.from);
    await waitFor(() => ours().length === 2, 60_000, () => `ufw rules for both attackers\n${daemon.output}`);
    expect(ours().sort()).toEqual([ns.attacker4, ns.attacker6].sort());
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    const status = await daemon.json<{ banned: { ip: string }[] }>(['status', 'sshd']);
    expect(status.banned.map((b) => b.ip).sort()).toEqual([ns.attacker4, ns.attacker6].sort());
    expect((await daemon.client(['unban', ns.attacker4, ns.attacker6])).code).toBe(0);
    expect(await eventually(() => ns.canConnect(4) && ns.canConnect(6), 30_000)).toBe(true);
    await daemon.stop();
    expect(ours()).toEqual([]);
  }, 120_000);
});
