import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionInstance, BanTicket } from '@portcullis/core';
import { parseNetwork, silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, eventually, netnsUnavailable } from '../../../test/netns.js';
import { iptablesAction } from '../src/index.js';
import { chainName } from '../src/iptables-action.js';
import { iptablesOptions } from '../src/options.js';

const why = netnsUnavailable(['/usr/sbin/iptables', '/usr/sbin/ip6tables', '/usr/sbin/ipset', '/usr/sbin/iptables-restore']);
if (why && process.env.CI !== 'true') console.warn(`skipping iptables tests: ${why} (they need root, iptables and ipset, in network namespaces)`);

let ns: NetnsPair;

function create(extra: Record<string, unknown> = {}, ports: string[] = [], protocol: 'tcp' | 'udp' | 'all' = 'tcp'): ActionInstance {
  const options = iptablesOptions.parse({ commandPrefix: ns.serverPrefix, ...extra });
  return iptablesAction.create(options, { jail: { name: 'sshd', ports, protocol, bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
}

const rules = (bin = 'iptables') => ns.inServer([bin, '-S']);

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

    it('bans networks: an IPv4 /24 and an IPv6 /64 holding the attacker block it, another network does not', async () => {
      const action = create({ ipset }, [String(ns.port)]);
      await action.start!();
      const net = (text: string): BanTicket => {
        const p = parseNetwork(text)!;
        return { ...makeTicket(p.family === 4 ? '192.0.2.1' : '2001:db8::1', 'sshd'), ip: p.canonical, family: p.family, prefix: p.prefix };
      };
      const elsewhere = [net('198.51.100.0/24'), net('2001:db8:1::/64')];
      await action.ban(elsewhere);
      expect(ns.canConnect(4)).toBe(true);
      expect(ns.canConnect(6)).toBe(true);
      const nets = [net(`${ns.attacker4}/24`), net(`${ns.attacker6}/64`)];
      await action.ban(nets);
      expect(ns.canConnect(4)).toBe(false);
      expect(ns.canConnect(6)).toBe(false);
      if (ipset) expect(ns.inServer(['ipset', 'list', 'portcullis-sshd-n4'])).toMatch(/Type: hash:net[\s\S]*198\.51\.100\.0\/24/);
      else expect(rules()).toContain(`-s ${nets[0]!.ip} -j REJECT`);
      await action.unban(nets);
      expect(ns.canConnect(4)).toBe(true);
      expect(await eventually(() => ns.canConnect(6))).toBe(true);
      await action.stop!();
    });

    it('holds bans longer than ipset\'s longest timeout (~24.8 days) until the engine lifts them', async () => {
      const action = create({ ipset });
      await action.start!();
      const now = Date.now();
      const days = (n: number) => n * 86_400_000;
      await action.ban([
        makeTicket(ns.attacker4, 'sshd', { time: now, bantime: days(30), expires: now + days(30) }),
        makeTicket('203.0.113.40', 'sshd', { time: now, bantime: days(10), expires: now + days(10) }),
      ]);
      expect(ns.canConnect(4)).toBe(false);
      if (ipset) {
        const list = ns.inServer(['ipset', 'list', 'portcullis-sshd-n4']);
        expect(list).toMatch(new RegExp(`^${ns.attacker4.replace(/\./g, '\\.')} timeout 0$`, 'm'));
        expect(list).toMatch(/^203\.0\.113\.40 timeout \d+$/m);
      }
      await action.unban([makeTicket(ns.attacker4, 'sshd')]);
      expect(ns.canConnect(4)).toBe(true);
      await action.stop!();
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

    it('jumps for tcp and udp with protocol all (port names and ranges), and refuses a malformed port', async () => {
      const action = create({ ipset }, [String(ns.port), 'ssh', '9000:9100'], 'all');
      await action.start!();
      await action.start!();
      const jumps = rules().split('\n').filter((l) => l.includes('-j portcullis-sshd'));
      expect(jumps).toEqual([
        `-A INPUT -p udp -m multiport --dports ${ns.port},22,9000:9100 -j portcullis-sshd`,
        `-A INPUT -p tcp -m multiport --dports ${ns.port},22,9000:9100 -j portcullis-sshd`,
      ]);
      await action.ban([makeTicket(ns.attacker6, 'sshd')]);
      expect(ns.canConnect(6)).toBe(false);
      await action.stop!();
      expect(rules()).not.toContain('portcullis-sshd');
      // multiport takes 15 ports (a range counts 2): 20 ports need two jump rules.
      const many = create({ ipset }, Array.from({ length: 19 }, (_, i) => String(9000 + i)).concat('9500:9600'));
      await many.start!();
      expect(rules().split('\n').filter((l) => l.includes('-j portcullis-sshd'))).toHaveLength(2);
      expect(await many.check!()).toBe(true);
      await many.stop!();
      expect(rules()).not.toContain('portcullis-sshd');
      await expect(create({ ipset }, ['22 -j ACCEPT']).start!()).rejects.toThrow(/invalid port "22 -j ACCEPT"/);
      await expect(create({ ipset }, ['no-such-service-here']).start!()).rejects.toThrow(/unknown service name "no-such-service-here"/);
    });

    it('reports a bogus binary path clearly', async () => {
      const action = create({ ipset, iptables: '/nonexistent/iptables', ipsetPath: '/nonexistent/ipset', commandPrefix: [] });
      await expect(action.start!()).rejects.toThrow(/\/nonexistent\/ip(tables-restore|set) not found: .*set the action's "(iptables|ipsetPath)" option/);
    });

    it('reports a non-executable binary and a hanging one (killed after the timeout) clearly', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pcl-ipt-'));
      try {
        writeFileSync(join(dir, 'iptables-restore'), '');
        writeFileSync(join(dir, 'ipset'), '');
        const bogus = { ipset, iptables: join(dir, 'iptables'), ipsetPath: join(dir, 'ipset'), commandPrefix: [] };
        await expect(create(bogus).start!()).rejects.toThrow(/needs root or CAP_NET_ADMIN, and an executable file/);
        for (const f of ['iptables-restore', 'ipset']) {
          writeFileSync(join(dir, f), '#!/bin/sh\nexec sleep 600\n');
          chmodSync(join(dir, f), 0o755);
        }
        const started = Date.now();
        await expect(create({ ...bogus, timeout: 0.3 }).ban!([makeTicket('203.0.113.1', 'sshd')])).rejects.toThrow(/killed by SIGKILL after 0\.3 s/);
        expect(Date.now() - started).toBeLessThan(25_000); // far below the 600 s it would hang
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('keeps the action contract (testkit)', async () => {
      const result = await checkActionContract(iptablesAction, {
        options: { commandPrefix: ns.serverPrefix, ipset },
        isBanned: (ip) => {
          const v6 = ip.includes(':');
          if (ipset) return ns.inServer(['ipset', 'list', v6 ? 'portcullis-contract-n6' : 'portcullis-contract-n4']).includes(`${ip} `) || ns.inServer(['ipset', 'list', v6 ? 'portcullis-contract-n6' : 'portcullis-contract-n4']).includes(`${ip}\n`);
          return ns.inServer([v6 ? 'ip6tables' : 'iptables', '-S', 'portcullis-contract']).includes(`-s ${ip}/`);
        },
      });
      expect(result.errors).toEqual([]);
    });
  });
}
