import type { ActionInstance, BanTicket } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, netnsUnavailable } from '../../../test/netns.js';
import { iptablesAction } from '../src/index.js';
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

for (const useIpset of [false, true]) {
  describe.skipIf(why !== undefined && process.env.CI !== 'true')(`iptables action${useIpset ? ' with ipset' : ''} against the kernel (network namespaces)`, () => {
    beforeAll(() => {
      if (why) throw new Error(why);
      ns = createNetnsPair(useIpset ? 'ips' : 'ipt');
    });
    afterAll(() => ns?.destroy());

    it('blocks a batch of IPv4 and IPv6 attackers and lets them back after unban', async () => {
      const action = create({ useIpset }, [String(ns.port)]);
      await action.start!();
      expect(ns.canConnect(4)).toBe(true);
      expect(await eventually(() => ns.canConnect(6))).toBe(true);
      const others: BanTicket[] = [];
      for (let i = 0; i < 300; i++) others.push(makeTicket(i % 2 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8:77::${i.toString(16)}`, 'sshd'));
      const attackers = [makeTicket(ns.attacker4, 'sshd'), makeTicket(ns.attacker6, 'sshd')];
      await action.ban([...others, ...attackers]);
      expect(ns.canConnect(4)).toBe(false);
      expect(ns.canConnect(6)).toBe(false);
      await action.unban(attackers);
      expect(ns.canConnect(4)).toBe(true);
      expect(ns.canConnect(6)).toBe(true);
      await action.stop!();
      expect(rules()).not.toContain('pcl-sshd');
      expect(rules('ip6tables')).not.toContain('pcl-sshd');
    });

    it('is idempotent and restores itself after its chain is deleted by hand', async () => {
      const action = create({ useIpset });
      await action.start!();
      await action.start!();
      const t = makeTicket(ns.attacker4, 'sshd');
      await action.ban([t]);
      await action.ban([t]);
      await action.unban([makeTicket('203.0.113.99', 'sshd')]);
      expect(rules().match(/-A INPUT -p tcp -j pcl-sshd/g)).toHaveLength(1);
      if (!useIpset) expect(rules().match(new RegExp(`-s ${ns.attacker4.replace(/\./g, '\\.')}/32`, 'g'))).toHaveLength(1);
      expect(await action.check!()).toBe(true);
      ns.inServer(['iptables', '-D', 'INPUT', '-p', 'tcp', '-j', 'pcl-sshd']);
      ns.inServer(['iptables', '-F', 'pcl-sshd']);
      ns.inServer(['iptables', '-X', 'pcl-sshd']);
      expect(await action.check!()).toBe(false);
      await action.start!();
      await action.ban([t]);
      expect(ns.canConnect(4)).toBe(false);
      await action.stop!();
      expect(ns.canConnect(4)).toBe(true);
    });

    it('keeps the action contract (testkit)', async () => {
      const result = await checkActionContract(iptablesAction, {
        options: { commandPrefix: ns.serverPrefix, useIpset },
        isBanned: (ip) => {
          const v6 = ip.includes(':');
          if (useIpset) return ns.inServer(['ipset', 'list', v6 ? 'pcl-contract-v6' : 'pcl-contract-v4']).includes(`${ip} `) || ns.inServer(['ipset', 'list', v6 ? 'pcl-contract-v6' : 'pcl-contract-v4']).includes(`${ip}\n`);
          return ns.inServer([v6 ? 'ip6tables' : 'iptables', '-S', 'pcl-contract']).includes(`-s ${ip}/`);
        },
      });
      expect(result.errors).toEqual([]);
    });
  });
}
