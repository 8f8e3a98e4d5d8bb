import type { ActionInstance, BanTicket } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, netnsUnavailable } from '../../../test/netns.js';
import { iptablesAction } from '../src/index.js';
import { chainName } from '../src/iptables-action.js';
import { iptablesOptions } from '../src/options.js';

const why = netnsUnavailable(['/usr/sbin/iptables', '/usr/sbin/ip6tables', '/usr/sbin/ipset', '/usr/sbin/iptables-restore']);
if (why && process.env.CI !== 'true') console.warn(`skipping iptables tests: ${why} (they need root, iptables and ipset, in network namespaces)`);

let ns: NetnsPair;

function create(extra: Record<string, unknown> = {}, ports: string[] = []): ActionInstance {
  const options = iptablesOptions.parse({ commandPrefix: ns.serverPrefix, ...extra });
  return iptablesAction.create(options, { jail: { name: 'sshd', ports, protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
}

const rules = (bin = 'iptables') => ns.inServer([bin, '-S']);

async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

describe('chain names', () => {
  it('are portcullis-<jail>, cut with a hash when too long for iptables (28) and ipset (31)', () => {
    expect(chainName('sshd')).toBe('portcullis-sshd');
    const long = chainName('a-very-long-jail-name-for-nginx');
    expect(long).toMatch(/^portcullis-a-very-lon-[0-9a-f]{6}$/);
    expect(long.length).toBeLessThanOrEqual(28);
    expect(`${long}-v6`.length).toBeLessThanOrEqual(31);
    expect(chainName('a-very-long-jail-name-for-nginx2')).not.toBe(long);
  });
});

for (const ipset of [false, true]) {
  describe.skipIf(why !== undefined && process.env.CI !== 'true')(`iptables action${ipset ? ' with ipset' : ''} against the kernel (network namespaces)`, () => {
    beforeAll(() => {
      if (why) throw new Error(why);
      ns = createNetnsPair(ipset ? 'ips' : 'ipt');
    });
    afterAll(() => ns?.destroy());

    it('blocks a batch of IPv4 and IPv6 attackers and lets them back after unban', async () => {
      const action = create({ ipset }, [String(ns.port)]);
      await action.start!();
      expect(ns.canConnect(4)).toBe(true);
      expect(await eventually(() => ns.canConnect(6))).toBe(true);
      const others: BanTicket[] = [];
      for (let i = 0; i < 1000; i++) others.push(makeTicket(i % 2 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8:77::${i.toString(16)}`, 'sshd'));
      const attackers = [makeTicket(ns.attacker4, 'sshd'), makeTicket(ns.attacker6, 'sshd')];
      await action.ban([...others, ...attackers]);
      expect(ns.canConnect(4)).toBe(false);
      expect(ns.canConnect(6)).toBe(false);
      await action.unban(attackers);
      expect(ns.canConnect(4)).toBe(true);
      expect(ns.canConnect(6)).toBe(true);
      // A big unban batch (the chain is rewritten without ipset) keeps the bans that are not in it.
      await action.ban([attackers[0]!]);
      await action.unban(others);
      expect(ns.canConnect(4)).toBe(false);
      if (!ipset) expect(rules().split('\n').filter((l) => l.includes(' -s '))).toEqual([`-A portcullis-sshd -s ${ns.attacker4}/32 -j REJECT --reject-with icmp-port-unreachable`]);
      if (!ipset) expect(rules('ip6tables')).not.toContain(' -s ');
      await action.unban([attackers[0]!]);
      expect(ns.canConnect(4)).toBe(true);
      await action.stop!();
      expect(rules()).not.toContain('portcullis-sshd');
      expect(rules('ip6tables')).not.toContain('portcullis-sshd');
    });

    it('is idempotent and restores itself after its chain is deleted by hand', async () => {
      const action = create({ ipset });
      await action.start!();
      await action.start!();
      const t = makeTicket(ns.attacker4, 'sshd');
      await action.ban([t]);
      await action.ban([t]);
      await action.unban([makeTicket('203.0.113.99', 'sshd')]);
      expect(rules().match(/-A INPUT -p tcp -j portcullis-sshd/g)).toHaveLength(1);
      if (!ipset) expect(rules().match(new RegExp(`-s ${ns.attacker4.replace(/\./g, '\\.')}/32`, 'g'))).toHaveLength(1);
      expect(await action.check!()).toBe(true);
      ns.inServer(['iptables', '-D', 'INPUT', '-p', 'tcp', '-j', 'portcullis-sshd']);
      ns.inServer(['iptables', '-F', 'portcullis-sshd']);
      ns.inServer(['iptables', '-X', 'portcullis-sshd']);
      expect(await action.check!()).toBe(false);
      await action.start!();
      await action.ban([t]);
      expect(ns.canConnect(4)).toBe(false);
      await action.stop!();
      expect(ns.canConnect(4)).toBe(true);
    });

    it('reports a bogus binary path clearly', async () => {
      const action = create({ ipset, iptables: '/nonexistent/iptables', ipsetPath: '/nonexistent/ipset', commandPrefix: [] });
      await expect(action.start!()).rejects.toThrow(/\/nonexistent\/ip(tables-restore|set) not found: .*set the action's "(iptables|ipsetPath)" option/);
    });

    it('keeps the action contract (testkit)', async () => {
      const result = await checkActionContract(iptablesAction, {
        options: { commandPrefix: ns.serverPrefix, ipset },
        isBanned: (ip) => {
          const v6 = ip.includes(':');
          if (ipset) return ns.inServer(['ipset', 'list', v6 ? 'portcullis-contract-v6' : 'portcullis-contract-v4']).includes(`${ip} `) || ns.inServer(['ipset', 'list', v6 ? 'portcullis-contract-v6' : 'portcullis-contract-v4']).includes(`${ip}\n`);
          return ns.inServer([v6 ? 'ip6tables' : 'iptables', '-S', 'portcullis-contract']).includes(`-s ${ip}/`);
        },
      });
      expect(result.errors).toEqual([]);
    });
  });
}
