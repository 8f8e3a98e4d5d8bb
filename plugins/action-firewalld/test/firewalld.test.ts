import type { ActionInstance, BanTicket, JailInfo } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FirewalldSandbox, firewalldUnavailable, startFirewalld } from '../../../test/firewalld-sandbox.js';
import { type NetnsPair, createNetnsPair, eventually } from '../../../test/netns.js';
import { banTarget, firewalldAction, jailIpsets, richRules } from '../src/index.js';
import { firewalldOptions } from '../src/options.js';

const why = firewalldUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping firewalld action tests: ${why} (they need root and firewalld, in namespaces)`);

describe('firewalld objects', () => {
  it('only canonical addresses and networks reach firewall-cmd', () => {
    expect(banTarget('192.0.2.7')).toMatchObject({ entry: '192.0.2.7', family: 4, network: false });
    expect(banTarget('198.51.100.77/24')).toMatchObject({ entry: '198.51.100.0/24', family: 4, network: true });
    expect(banTarget('2001:DB8:aa:bb:1:2:3:4/64')).toMatchObject({ entry: '2001:db8:aa:bb::/64', family: 6, network: true });
    expect(banTarget('2001:db8::1/128')).toMatchObject({ entry: '2001:db8::1', network: false });
    for (const bad of ['192.0.2.1/33', '2001:db8::/129', '192.0.2.1\n10.0.0.0/8', 'example.com', '1.2.3.4/-1', '']) expect(banTarget(bad), bad).toBeUndefined();
  });

  it('names four ipsets of at most 31 characters per jail, distinct for distinct jails', () => {
    expect(jailIpsets('pcl', 'sshd').map((s) => `${s.name} ${s.type} ${s.family}`)).toEqual(['pcl-sshd-4 hash:ip 4', 'pcl-sshd-6 hash:ip 6', 'pcl-sshd-n4 hash:net 4', 'pcl-sshd-n6 hash:net 6']);
    const long = jailIpsets('pcl', 'a-very-long-jail-name-for-the-web-server');
    const other = jailIpsets('pcl', 'a-very-long-jail-name-for-the-web-servers');
    for (const s of [...long, ...other, ...jailIpsets('pcl', 'nginx.auth')]) expect(s.name).toMatch(/^[A-Za-z0-9_-]{1,31}$/);
    expect(long[0]!.name).not.toBe(other[0]!.name);
  });

  it('writes one rich rule per set, port and protocol, as firewalld prints them', () => {
    const sets = jailIpsets('pcl', 'web').slice(0, 1);
    expect(richRules(sets, { name: 'web', ports: ['http', '8000:8100'], protocol: 'all', bantime: 1 }, 'reject')).toEqual([
      'rule family="ipv4" source ipset="pcl-web-4" port port="http" protocol="tcp" reject',
      'rule family="ipv4" source ipset="pcl-web-4" port port="http" protocol="udp" reject',
      'rule family="ipv4" source ipset="pcl-web-4" port port="8000-8100" protocol="tcp" reject',
      'rule family="ipv4" source ipset="pcl-web-4" port port="8000-8100" protocol="udp" reject',
    ]);
    expect(richRules(sets, { name: 'web', ports: [], protocol: 'tcp', bantime: 1 }, 'drop')).toEqual(['rule family="ipv4" source ipset="pcl-web-4" drop']);
  });
});

describe.skipIf(why !== undefined && process.env.CI !== 'true')('firewalld action against a real firewalld (namespaces, own D-Bus)', () => {
  let ns: NetnsPair;
  let fw: FirewalldSandbox;
  beforeAll(async () => {
    if (why) throw new Error(why);
    ns = createNetnsPair('fwd');
    fw = await startFirewalld(ns.server);
    // The public zone lets nothing in but ssh: open the test listener as an administrator opens a service
    // (permanent, so our reloads keep it).
    fw.cmd(['--permanent', '--zone=public', '--add-port=8022/tcp']);
    fw.cmd(['--zone=public', '--add-port=8022/tcp']);
  }, 120_000);
  afterAll(() => {
    fw?.destroy();
    ns?.destroy();
  });

  const create = (jail = 'sshd', extra: Record<string, unknown> = {}, info: Partial<JailInfo> = {}, logger = silentLogger): ActionInstance =>
    firewalldAction.create(firewalldOptions.parse({ commandPrefix: fw.prefix, ...extra }), {
      jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000, ...info },
      logger,
      configDir: '/',
      dryRun: false,
    });
  const entries = (set: string) => fw.cmd([`--ipset=${set}`, '--get-entries']).split('\n').filter(Boolean);

  it('blocks an IPv4 and an IPv6 attacker among 500 other bans, and lets them back after unban', async () => {
    const action = create();
    await action.start!();
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    const others: BanTicket[] = [];
    for (let i = 0; i < 500; i++) others.push(makeTicket(i % 2 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8:77::${i.toString(16)}`, 'sshd'));
    const attackers = [makeTicket(ns.attacker4, 'sshd'), makeTicket(ns.attacker6, 'sshd')];
    await action.ban([...others, ...attackers]);
    expect(entries('pcl-sshd-4')).toHaveLength(251);
    expect(entries('pcl-sshd-6')).toHaveLength(251);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    expect(await action.check!()).toBe(true);
    await action.ban(attackers); // idempotent
    expect(entries('pcl-sshd-4')).toHaveLength(251);
    await action.unban(attackers);
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    await action.stop!();
    expect(fw.cmd(['--zone=public', '--list-rich-rules']).trim()).toBe('');
    expect(entries('pcl-sshd-4')).toEqual([]);
  });

  it('bans whole networks; an overlapping network is refused with a clear error, not a failed batch', async () => {
    const logged: string[] = [];
    const action = create('net', {}, {}, { ...silentLogger, error: (_: unknown, message: string) => logged.push(message) });
    await action.start!();
    const net4 = { ...makeTicket(ns.attacker4, 'net'), ip: `${ns.attacker4.split('.').slice(0, 3).join('.')}.3/31` };
    const wider = { ...makeTicket(ns.attacker4, 'net'), ip: `${ns.attacker4.split('.').slice(0, 3).join('.')}.0/30` };
    const net6 = { ...makeTicket(ns.attacker6, 'net'), ip: `${ns.attacker6.replace(/::2$/, '::3')}/127` };
    await action.ban([net4, wider, net6, makeTicket('203.0.113.5', 'net')]);
    expect(logged.join('\n')).toMatch(/cannot ban 10\.231\.\d+\.0\/30: it overlaps 10\.231\.\d+\.2\/31/);
    expect(entries('pcl-net-n4')).toEqual([`${ns.attacker4.split('.').slice(0, 3).join('.')}.2/31`]);
    expect(entries('pcl-net-4')).toEqual(['203.0.113.5']);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    await action.unban([net4, net6]);
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    await action.stop!();
  });

  it('bans only the jail\'s ports: a ban for port 22 leaves the attacker its connection to 8022', async () => {
    const ssh = create('portssh', {}, { ports: ['ssh'] });
    const test = create('porttest', { blocktype: 'drop' }, { ports: ['8022'] });
    await ssh.start!();
    await test.start!();
    await ssh.ban([makeTicket(ns.attacker4, 'portssh')]);
    expect(ns.canConnect(4)).toBe(true);
    await test.ban([makeTicket(ns.attacker4, 'porttest')]);
    expect(ns.canConnect(4)).toBe(false);
    await test.stop!();
    expect(ns.canConnect(4)).toBe(true);
    await ssh.stop!();
  });

  it('check sees a firewall-cmd --reload wipe its rules and entries; start and the re-ban repair it', async () => {
    const action = create();
    await action.start!();
    await action.ban([makeTicket(ns.attacker4, 'sshd')]);
    expect(await action.check!()).toBe(true);
    fw.cmd(['--ipset=pcl-sshd-4', '--remove-entry', ns.attacker4]);
    expect(await action.check!()).toBe(false);
    fw.cmd(['--reload']);
    expect(ns.canConnect(4)).toBe(true);
    expect(await action.check!()).toBe(false);
    await action.start!();
    await action.ban([makeTicket(ns.attacker4, 'sshd')]);
    expect(await action.check!()).toBe(true);
    expect(ns.canConnect(4)).toBe(false);
    await action.stop!();
  });

  it('a new jail\'s reload does not lift an older jail\'s bans; stale entries of an earlier run are cleared at start', async () => {
    const older = create('older');
    await older.start!();
    await older.ban([makeTicket(ns.attacker4, 'older')]);
    fw.cmd(['--ipset=pcl-older-6', '--add-entry', '2001:db8:dead::1']); // left over from a run that was killed
    const newer = create('newer');
    await newer.start!(); // creates its ipsets, so firewalld reloads
    expect(await eventually(() => !ns.canConnect(4, 500), 15_000)).toBe(true);
    expect(await eventually(() => fw.cmd(['--zone=public', '--list-rich-rules']).includes('pcl-older-4'), 15_000)).toBe(true);
    const again = create('older');
    await again.start!();
    expect(entries('pcl-older-6')).toEqual([]);
    await Promise.all([older.stop!(), newer.stop!(), again.stop!()]);
  });

  it('keeps the action contract with firewalld as the judge', async () => {
    const present = (ip: string) => ['contract-4', 'contract-6'].some((s) => entries(`pcl-${s}`).includes(ip));
    const result = await checkActionContract(firewalldAction, { options: { commandPrefix: fw.prefix }, isBanned: present });
    expect(result.errors).toEqual([]);
  });
});
