import type { ActionInstance, BanTicket } from '@portcullis/core';
import { parseNetwork, silentLogger } from '@portcullis/core';
import { makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair, eventually, netnsUnavailable } from '../../../test/netns.js';
import { nftablesAction } from '../src/index.js';
import { nftablesOptions } from '../src/options.js';

const why = netnsUnavailable(['/usr/sbin/nft']);
if (why && process.env.CI !== 'true') console.warn(`skipping nftables network tests: ${why} (they need root and nftables, in network namespaces)`);

let ns: NetnsPair;
/** Attacker addresses: inside the banned networks, and outside them (another prefix on the same link). */
let inside4: string;
let inside6: string;
let outside4: string;
let outside6: string;

/** A ticket for a network, as the engine makes it (canonical text, prefix length). */
function netTicket(text: string, overrides: Partial<BanTicket> = {}): BanTicket {
  const net = parseNetwork(text)!;
  const base = makeTicket(net.family === 4 ? '192.0.2.1' : '2001:db8::1', 'sshd');
  return { ...base, ip: net.canonical, family: net.family, prefix: net.prefix, ...overrides };
}

function create(): ActionInstance {
  const options = nftablesOptions.parse({ commandPrefix: ns.serverPrefix, table: 'pclnet' });
  return nftablesAction.create(options, { jail: { name: 'sshd', ports: [String(ns.port)], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: '/', dryRun: false });
}

describe.skipIf(why !== undefined && process.env.CI !== 'true')('nftables network bans against the kernel (network namespaces)', () => {
  beforeAll(() => {
    if (why) throw new Error(why);
    ns = createNetnsPair('nftnet', 8023);
    const devOf = (inNs: (argv: string[]) => string) => inNs(['ip', '-o', 'link', 'show']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).find((d) => d && d !== 'lo')!;
    const adev = devOf(ns.inAttacker);
    const sdev = devOf(ns.inServer);
    const n = ns.attacker4.split('.')[2];
    const p6 = ns.attacker6.replace(/::2$/, '');
    inside4 = `10.231.${n}.3`;
    inside6 = `${p6}::3`;
    outside4 = `10.232.${n}.2`;
    outside6 = `${p6}:1::2`;
    ns.inAttacker(['ip', 'addr', 'add', `${inside4}/24`, 'dev', adev]);
    ns.inAttacker(['ip', 'addr', 'add', `${outside4}/24`, 'dev', adev]);
    ns.inServer(['ip', 'addr', 'add', `10.232.${n}.1/24`, 'dev', sdev]);
    ns.inAttacker(['ip', '-6', 'addr', 'add', `${inside6}/64`, 'dev', adev, 'nodad']);
    ns.inAttacker(['ip', '-6', 'addr', 'add', `${outside6}/64`, 'dev', adev, 'nodad']);
    ns.inServer(['ip', '-6', 'addr', 'add', `${p6}:1::1/64`, 'dev', sdev, 'nodad']);
  });
  afterAll(() => ns?.destroy());

  it('a banned /64 drops a second address inside it and lets one outside through; unban lifts it', async () => {
    const action = create();
    await action.start!();
    expect(await eventually(() => ns.canConnectFrom(inside6) && ns.canConnectFrom(outside6), 30_000)).toBe(true);
    const net = netTicket(`${ns.attacker6}/64`);
    expect(net.ip).toBe(`${ns.attacker6.replace(/::2$/, '')}::/64`);
    await action.ban([net]);
    expect(ns.canConnectFrom(ns.attacker6)).toBe(false);
    expect(ns.canConnectFrom(inside6)).toBe(false);
    expect(ns.canConnectFrom(outside6)).toBe(true);
    expect(ns.inServer(['nft', 'list', 'set', 'inet', 'pclnet', 'j_sshd_net6'])).toContain(net.ip);
    await action.unban([net]);
    expect(await eventually(() => ns.canConnectFrom(inside6), 30_000)).toBe(true);
    await action.stop!();
  });

  it('the same for an IPv4 /24 in the network set, next to single addresses (one inside it) in the address set', async () => {
    const action = create();
    await action.start!();
    const net = netTicket(`${ns.attacker4}/24`);
    expect(net.ip).toMatch(/^10\.231\.\d+\.0\/24$/);
    await action.ban([makeTicket('198.51.100.7', 'sshd'), makeTicket(ns.attacker4, 'sshd'), net]);
    expect(ns.canConnectFrom(ns.attacker4)).toBe(false);
    expect(ns.canConnectFrom(inside4)).toBe(false);
    expect(ns.canConnectFrom(outside4)).toBe(true);
    expect(ns.inServer(['nft', 'list', 'set', 'inet', 'pclnet', 'j_sshd_net4'])).toContain(net.ip);
    await action.unban([net]);
    expect(await eventually(() => ns.canConnectFrom(inside4), 30_000)).toBe(true);
    // The address inside the lifted network has its own ban, which stays.
    expect(ns.canConnectFrom(ns.attacker4)).toBe(false);
    const addresses = ns.inServer(['nft', 'list', 'set', 'inet', 'pclnet', 'j_sshd_v4']);
    expect(addresses).toContain('198.51.100.7');
    expect(addresses).toContain(ns.attacker4);
    expect(addresses).toMatch(/flags timeout\n/);
    await action.stop!();
  });

  it('network bans expire in the kernel by their timeout', async () => {
    const action = create();
    await action.start!();
    // Long enough that a loaded machine still sees the bans in place before the kernel lifts them (2 s was not).
    const now = Date.now();
    await action.ban([netTicket(`${ns.attacker4}/24`, { time: now, expires: now + 6000, bantime: 6000 }), netTicket(`${ns.attacker6}/64`, { time: now, expires: now + 6000, bantime: 6000 })]);
    expect(ns.canConnectFrom(inside4)).toBe(false);
    expect(ns.canConnectFrom(inside6)).toBe(false);
    expect(await eventually(() => ns.canConnectFrom(inside4) && ns.canConnectFrom(inside6), 60_000)).toBe(true);
    await action.stop!();
  }, 90_000);

  it('keeps address sets an earlier release made without the interval flag, and refuses a malformed target', async () => {
    ns.inServer(['nft', 'add', 'table', 'inet', 'pclnet']);
    ns.inServer(['nft', 'add set inet pclnet j_sshd_v4 { type ipv4_addr; flags timeout; }']);
    ns.inServer(['nft', 'add element inet pclnet j_sshd_v4 { 198.51.100.9 }']);
    const action = create();
    await action.start!();
    // That is today's address set: kept with what it holds; the network set is added next to it.
    expect(ns.inServer(['nft', 'list', 'set', 'inet', 'pclnet', 'j_sshd_v4'])).toMatch(/flags timeout\n[\s\S]*198\.51\.100\.9/);
    expect(ns.inServer(['nft', 'list', 'set', 'inet', 'pclnet', 'j_sshd_net4'])).toMatch(/flags interval,timeout/);
    await action.ban([netTicket(`${ns.attacker4}/24`), { ...netTicket('198.51.100.0/24'), ip: '198.51.100.0/24 } ; flush ruleset ; add element inet pclnet j_sshd_net4 { 1.2.3.4' }]);
    expect(ns.canConnectFrom(inside4)).toBe(false);
    expect(ns.inServer(['nft', 'list', 'ruleset'])).not.toContain('1.2.3.4');
    expect(await action.check!()).toBe(true);
    await action.stop!();
  });
});
