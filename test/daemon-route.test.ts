import { afterAll, beforeAll, describe, it } from 'vitest';
import { missingBuild } from './daemon-process.js';
import { type SshdJailDaemon, banAndUnbanBothAttackers, startSshdJailDaemon } from './firewall-daemon-flow.js';
import { type NetnsPair, createNetnsPair, netnsUnavailable } from './netns.js';

/**
 * The route action through the daemon: a config file with an sshd jail and `route`, failures appended to
 * the log, and the kernel of a network namespace refusing the attacker until `portcullis unban`.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-route']);
const why = netnsUnavailable([]);
if (why && process.env.CI !== 'true') console.warn(`skipping the route action daemon test: ${why}`);

describe.skipIf(why !== undefined && process.env.CI !== 'true')('daemon + route action in a network namespace', () => {
  let ns: NetnsPair;
  let jd: SshdJailDaemon;

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('drt');
    jd = await startSshdJailDaemon('route', '@portcullis/action-route', () => ({ actions: [{ id: 'route', options: { commandPrefix: ns.serverPrefix } }] }));
  }, 120_000);

  afterAll(async () => {
    await jd?.close();
    ns?.destroy();
  });

  it('bans IPv4 and IPv6 attackers with routes, and unban lets them back', async () => {
    const routes = (family: '-4' | '-6') => ns.inServer(['ip', family, 'route', 'show', 'proto', '236']);
    await banAndUnbanBothAttackers(ns, jd, {
      what: 'routes',
      inFirewall: () => routes('-6').includes(ns.attacker6) && routes('-4').includes(ns.attacker4),
      leftover: () => routes('-4') + routes('-6'),
    });
  }, 120_000);
});
