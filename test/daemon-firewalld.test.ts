import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { type FirewalldSandbox, firewalldUnavailable, startFirewalld } from './firewalld-sandbox.js';
import { type NetnsPair, createNetnsPair, eventually } from './netns.js';

/**
 * The firewalld action through the daemon: a config file with an sshd jail and `firewalld`, a real firewalld on
 * its own D-Bus in a namespace, failures appended to the log, and the attacker refused until `portcullis unban`.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-firewalld']);
const why = firewalldUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping the firewalld action daemon test: ${why}`);

describe.skipIf(why !== undefined && process.env.CI !== 'true')('daemon + firewalld action (real firewalld in namespaces)', () => {
  let ns: NetnsPair;
  let fw: FirewalldSandbox;
  let dir: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('dfw');
    fw = await startFirewalld(ns.server);
    fw.cmd(['--permanent', '--zone=public', `--add-port=${ns.port}/tcp`]);
    fw.cmd(['--zone=public', `--add-port=${ns.port}/tcp`]);
    dir = repoTempDir('firewalld');
    writeFileSync(join(dir, 'auth.log'), '');
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-firewalld'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      // One address per ban: the test checks the attacker's own address in the firewall (not its /64).
      defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ipv6prefix: 128 },
      jails: { sshd: { filter: 'sshd', port: [String(ns.port)], logpath: join(dir, 'auth.log'), actions: [{ id: 'firewalld', options: { commandPrefix: fw.prefix } }] } },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  }, 180_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    fw?.destroy();
    ns?.destroy();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('bans IPv4 and IPv6 attackers through firewalld ipsets, and unban lets them back', async () => {
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    let lines = '';
    for (const ip of [ns.attacker4, ns.attacker6]) {
      for (let i = 0; i < 3; i++) lines += `${new Date().toISOString()} host sshd[${200 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`;
    }
    appendFileSync(join(dir, 'auth.log'), lines);
    const entries = (set: string) => fw.cmd([`--ipset=${set}`, '--get-entries']);
    await waitFor(() => entries('pcl-sshd-4').includes(ns.attacker4) && entries('pcl-sshd-6').includes(ns.attacker6), 60_000, () => `ipset entries for both attackers\n${daemon.output}`);
    expect(fw.cmd(['--zone=public', '--list-rich-rules'])).toContain(`source ipset="pcl-sshd-4" port port="${ns.port}" protocol="tcp" reject`);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    const status = await daemon.json<{ banned: { ip: string }[] }>(['status', 'sshd']);
    expect(status.banned.map((b) => b.ip).sort()).toEqual([ns.attacker4, ns.attacker6].sort());
    expect((await daemon.client(['unban', ns.attacker4, ns.attacker6])).code).toBe(0);
    expect(await eventually(() => ns.canConnect(4) && ns.canConnect(6), 30_000)).toBe(true);
    await daemon.stop();
    expect(fw.cmd(['--zone=public', '--list-rich-rules']).trim()).toBe('');
  }, 180_000);
});
