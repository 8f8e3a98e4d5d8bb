import type { ActionInstance, BanTicket } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, netnsUnavailable } from '../../../test/netns.js';
import { routeAction, routeTarget } from '../src/index.js';
import { routeOptions } from '../src/options.js';

const why = netnsUnavailable([]);
if (why && process.env.CI !== 'true') console.warn(`skipping route action tests: ${why} (they need root, in network namespaces)`);

describe('route targets', () => {
  it('only canonical addresses and networks with host bits cleared reach ip', () => {
    expect(routeTarget('192.0.2.7')).toEqual({ destination: '192.0.2.7/32', family: 4 });
    expect(routeTarget('198.51.100.77/24')).toEqual({ destination: '198.51.100.0/24', family: 4 });
    expect(routeTarget('2001:DB8:aa:bb:1:2:3:4/64')).toEqual({ destination: '2001:db8:aa:bb::/64', family: 6 });
    expect(routeTarget('::ffff:10.1.2.3')).toEqual({ destination: '10.1.2.3/32', family: 4 });
    expect(routeTarget('2001:db8::1', 48)).toEqual({ destination: '2001:db8::/48', family: 6 });
    for (const bad of ['192.0.2.1/33', '2001:db8::/129', '192.0.2.1 proto 4', 'example.com', '10.0.0.0/8 table 1', '1.2.3.4/-1', '']) {
      expect(routeTarget(bad), bad).toBeUndefined();
    }
  });
});

describe.skipIf(why !== undefined && process.env.CI !== 'true')('route action against the kernel (network namespaces)', () => {
  let ns: NetnsPair;
  beforeAll(() => {
    if (why) throw new Error(why);
    ns = createNetnsPair('rt');
  });
  afterAll(() => ns?.destroy());

  const create = (jail = 'sshd', extra: Record<string, unknown> = {}): ActionInstance =>
    routeAction.create(routeOptions.parse({ commandPrefix: ns.serverPrefix, ...extra }), {
      jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000 },
      logger: silentLogger,
      configDir: '/',
      dryRun: false,
    });
  const routes = () => ns.inServer(['ip', '-4', 'route', 'show', 'proto', '236']) + ns.inServer(['ip', '-6', 'route', 'show', 'proto', '236']);

  it('blocks an IPv4 and an IPv6 attacker, and lets them back after unban', async () => {
    const action = create();
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    const others: BanTicket[] = [];
    for (let i = 0; i < 500; i++) others.push(makeTicket(i % 2 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8:77::${i.toString(16)}`, 'sshd'));
    const attackers = [makeTicket(ns.attacker4, 'sshd'), makeTicket(ns.attacker6, 'sshd')];
    await action.ban([...others, ...attackers]);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    expect(await action.check!()).toBe(true);
    await action.unban(attackers);
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    await action.stop!();
    expect(routes().trim()).toBe('');
  });

  it('bans a whole network: another address inside it is blocked, one outside is not', async () => {
    const action = create();
    // The attacker's /31 and /127: the network of the attacker (…2) and its neighbour (…3), not the server (…1).
    const net4 = { ...makeTicket(ns.attacker4, 'sshd'), ip: `${ns.attacker4.split('.').slice(0, 3).join('.')}.3/31` };
    await action.ban([net4]);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(true);
    await action.unban([net4]);
    expect(ns.canConnect(4)).toBe(true);
    const net6 = { ...makeTicket(ns.attacker6, 'sshd'), ip: `${ns.attacker6.replace(/::2$/, '::3')}/127` };
    await action.ban([net6]);
    expect(ns.canConnect(6)).toBe(false);
    expect(ns.canConnect(4)).toBe(true);
    await action.unban([net6]);
    expect(ns.canConnect(6)).toBe(true);
    await action.stop!();
  });

  it('two jails share a route: one jail unbanning keeps the other jail\'s ban', async () => {
    const sshd = create('sshd');
    const web = create('web');
    await sshd.ban([makeTicket(ns.attacker4, 'sshd')]);
    await web.ban([makeTicket(ns.attacker4, 'web')]);
    await sshd.unban([makeTicket(ns.attacker4, 'sshd')]);
    expect(ns.canConnect(4)).toBe(false);
    await web.unban([makeTicket(ns.attacker4, 'web')]);
    expect(ns.canConnect(4)).toBe(true);
  });

  it('never takes over a route that is not ours (the connected network), and says so', async () => {
    const logged: string[] = [];
    const logger = { ...silentLogger, error: (_: unknown, message: string) => logged.push(message) };
    const action = routeAction.create(routeOptions.parse({ commandPrefix: ns.serverPrefix }), { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 1 }, logger, configDir: '/', dryRun: false });
    const connected = `${ns.server4.split('.').slice(0, 3).join('.')}.0/24`;
    // The kernel's route to the connected /24 holds that destination: our ban must neither replace it nor,
    // on unban, delete it (the host would lose its network).
    await action.ban([{ ...makeTicket(ns.attacker4, 'sshd'), ip: connected }]);
    expect(logged.join('\n')).toContain(`cannot ban ${connected}`);
    await action.unban([{ ...makeTicket(ns.attacker4, 'sshd'), ip: connected }]);
    expect(ns.inServer(['ip', 'route', 'show', connected])).toContain('proto kernel');
    expect(ns.canConnect(4)).toBe(true);
  });

  it('check sees a route removed behind its back; an administrator\'s routes are never touched', async () => {
    const action = create();
    ns.inServer(['ip', 'route', 'add', 'blackhole', '203.0.113.250']);
    await action.ban([makeTicket('203.0.113.9', 'sshd')]);
    expect(await action.check!()).toBe(true);
    ns.inServer(['ip', 'route', 'del', 'blackhole', '203.0.113.9', 'proto', '236']);
    expect(await action.check!()).toBe(false);
    await action.ban([makeTicket('203.0.113.9', 'sshd')]);
    expect(await action.check!()).toBe(true);
    await action.stop!();
    expect(routes()).not.toContain('203.0.113.9');
    expect(ns.inServer(['ip', 'route', 'show', 'type', 'blackhole'])).toContain('203.0.113.250');
    ns.inServer(['ip', 'route', 'del', 'blackhole', '203.0.113.250']);
  });

  it('keeps the action contract with the kernel as the judge', async () => {
    const present = (ip: string) => routes().includes(ip);
    const result = await checkActionContract(routeAction, { options: { commandPrefix: ns.serverPrefix, type: 'unreachable' }, isBanned: present });
    expect(result.errors).toEqual([]);
  });
});
