import { afterAll, beforeAll, describe, it } from 'vitest';
import { missingBuild } from './daemon-process.js';
import { type SshdJailDaemon, banAndUnbanBothAttackers, startSshdJailDaemon } from './firewall-daemon-flow.js';
import { type FirewalldSandbox, firewalldUnavailable, startFirewalld } from './firewalld-sandbox.js';
import { type NetnsPair, createNetnsPair } from './netns.js';

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
  let jd: SshdJailDaemon;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('dfw');
    fw = await startFirewalld(ns.server);
    fw.cmd(['--permanent', '--zone=public', `--add-port=${ns.port}/tcp`]);
    fw.cmd(['--zone=public', `--add-port=${ns.port}/tcp`]);
    jd = await startSshdJailDaemon('firewalld', '@portcullis/action-firewalld', () => ({ port: [String(ns.port)], actions: [{ id: 'firewalld', options: { commandPrefix: fw.prefix } }] }));
  }, 180_000);

  afterAll(async () => {
    await jd?.close();
    fw?.destroy();
    ns?.destroy();
  });

  it('bans IPv4 and IPv6 attackers through firewalld ipsets, and unban lets them back', async () => {
    const entries = (set: string) => fw.cmd([`--ipset=${set}`, '--get-entries']);
    const richRules = () => fw.cmd(['--zone=public', '--list-rich-rules']);
    await banAndUnbanBothAttackers(ns, jd, {
      what: 'ipset entries and the port rich rule',
      inFirewall: () =>
        entries('pcl-sshd-4').includes(ns.attacker4) &&
        entries('pcl-sshd-6').includes(ns.attacker6) &&
        richRules().includes(`source ipset="pcl-sshd-4" port port="${ns.port}" protocol="tcp" reject`),
      leftover: richRules,
    });
  }, 180_000);
});
