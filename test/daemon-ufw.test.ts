import { afterAll, beforeAll, describe, it } from 'vitest';
import { listedRules } from '@portcullis/action-ufw';
import { missingBuild } from './daemon-process.js';
import { type SshdJailDaemon, banAndUnbanBothAttackers, startSshdJailDaemon } from './firewall-daemon-flow.js';
import { type NetnsPair, createNetnsPair } from './netns.js';
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
  let jd: SshdJailDaemon;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('dufw');
    fw = startUfw(ns.server, ns.port);
    jd = await startSshdJailDaemon('ufw', '@portcullis/action-ufw', () => ({ actions: [{ id: 'ufw', options: { commandPrefix: fw.prefix } }] }));
  }, 120_000);

  afterAll(async () => {
    await jd?.close();
    fw?.destroy();
    ns?.destroy();
  });

  it('bans IPv4 and IPv6 attackers with ufw rules, and unban lets them back', async () => {
    const ours = () => listedRules(fw.ufw(['status', 'numbered'])).filter((r) => r.jail === 'sshd').map((r) => r.from);
    await banAndUnbanBothAttackers(ns, jd, {
      what: 'ufw rules',
      inFirewall: () => ours().sort().join(' ') === [ns.attacker4, ns.attacker6].sort().join(' '),
      leftover: () => ours().join(' '),
    });
  }, 120_000);
});
