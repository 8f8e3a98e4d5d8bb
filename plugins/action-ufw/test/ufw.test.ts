import type { ActionInstance, BanTicket, JailInfo } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetnsPair, createNetnsPair } from '../../../test/netns.js';
import { type UfwSandbox, startUfw, ufwUnavailable } from '../../../test/ufw-sandbox.js';
import { listedRules, portClauses, ufwAction } from '../src/index.js';
import { ufwOptions } from '../src/options.js';

const why = ufwUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping ufw action tests: ${why} (they need root and ufw, in namespaces)`);

const jailInfo = (ports: string[], protocol: JailInfo['protocol'] = 'tcp'): JailInfo => ({ name: 'j', ports, protocol, bantime: 1 });

describe('ufw rules', () => {
  it('groups numeric ports into multiport rules within ufw\'s 15 slots; names get a rule each', () => {
    expect(portClauses(jailInfo([]))).toEqual([[]]);
    expect(portClauses(jailInfo(['22', '8000:8100', 'imaps'], 'all'))).toEqual([
      ['to', 'any', 'port', 'imaps', 'proto', 'tcp'],
      ['to', 'any', 'port', 'imaps', 'proto', 'udp'],
      ['to', 'any', 'port', '22,8000:8100', 'proto', 'tcp'],
      ['to', 'any', 'port', '22,8000:8100', 'proto', 'udp'],
    ]);
    const many = portClauses(jailInfo(Array.from({ length: 20 }, (_, i) => String(1000 + i))));
    expect(many.map((c) => c[3]!.split(',').length)).toEqual([15, 5]);
  });

  it('reads our rules (and only ours) from ufw status numbered', () => {
    const status = [
      'Status: active',
      '',
      '     To                         Action      From',
      '     --                         ------      ----',
      '[ 1] Anywhere                   REJECT IN   198.51.100.0/24            # portcullis:web',
      '[ 2] 22,80/tcp                  DENY IN     192.0.2.1                  # portcullis:sshd',
      '[ 3] 8022/tcp                   ALLOW IN    Anywhere                   # portcullis:sshd-like comment',
      '[ 4] 22/tcp (v6)                REJECT IN   2001:db8::/64              # portcullis:sshd',
      '[ 5] 8022/tcp (v6)              ALLOW IN    Anywhere (v6)',
    ].join('\n');
    expect(listedRules(status)).toEqual([
      { number: 1, from: '198.51.100.0/24', jail: 'web' },
      { number: 2, from: '192.0.2.1', jail: 'sshd' },
      { number: 4, from: '2001:db8::/64', jail: 'sshd' },
    ]);
  });
});

describe.skipIf(why !== undefined && process.env.CI !== 'true')('ufw action against a real ufw (namespaces, private /etc/ufw)', () => {
  let ns: NetnsPair;
  let fw: UfwSandbox;
  beforeAll(() => {
    if (why) throw new Error(why);
    ns = createNetnsPair('ufw');
    fw = startUfw(ns.server, ns.port);
  });
  afterAll(() => {
    fw?.destroy();
    ns?.destroy();
  });

  const create = (jail = 'sshd', extra: Record<string, unknown> = {}, info: Partial<JailInfo> = {}): ActionInstance =>
    ufwAction.create(ufwOptions.parse({ commandPrefix: fw.prefix, ...extra }), {
      jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000, ...info },
      logger: silentLogger,
      configDir: '/',
      dryRun: false,
    });
  const ours = (jail = 'sshd') => listedRules(fw.ufw(['status', 'numbered'])).filter((r) => r.jail === jail);

  it('refuses the attackers (IPv4 and IPv6, one a network) with rules marked as ours, and lets them back after unban', async () => {
    const action = create();
    await action.start!();
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    const others: BanTicket[] = [makeTicket('203.0.113.7', 'sshd'), { ...makeTicket('2001:db8:5::1', 'sshd'), ip: '2001:db8:5::/48' }];
    const net6 = { ...makeTicket(ns.attacker6, 'sshd'), ip: `${ns.attacker6.replace(/::2$/, '::')}/126` };
    const attackers = [makeTicket(ns.attacker4, 'sshd'), net6];
    await action.ban([...others, ...attackers]);
    expect(ns.canConnect(4)).toBe(false);
    expect(ns.canConnect(6)).toBe(false);
    expect(ours().map((r) => r.from).sort()).toEqual(['2001:db8:5::/48', `${ns.attacker6.replace(/::2$/, '::')}/126`, '203.0.113.7', ns.attacker4].sort());
    // Before the administrator's allow rule: prepended.
    expect(fw.ufw(['status']).indexOf(ns.attacker4)).toBeLessThan(fw.ufw(['status']).indexOf('ALLOW'));
    expect(await action.check!()).toBe(true);
    await action.ban(attackers); // idempotent
    expect(ours()).toHaveLength(4);
    await action.unban(attackers);
    expect(ns.canConnect(4)).toBe(true);
    expect(ns.canConnect(6)).toBe(true);
    await action.unban(attackers); // unknown now: no error
    await action.stop!();
    expect(ours()).toEqual([]);
    expect(fw.ufw(['status'])).toContain(`${ns.port}/tcp`);
  });

  it('bans only the jail\'s ports: a ban on 22 leaves port 8022 open', async () => {
    const ssh = create('portssh', {}, { ports: ['ssh'] });
    const test = create('porttest', { blocktype: 'deny' }, { ports: [String(ns.port), '9000:9100'], protocol: 'all' });
    await ssh.start!();
    await test.start!();
    await ssh.ban([makeTicket(ns.attacker4, 'portssh')]);
    expect(ns.canConnect(4)).toBe(true);
    await test.ban([makeTicket(ns.attacker4, 'porttest')]);
    expect(ns.canConnect(4)).toBe(false);
    expect(ours('porttest')).toHaveLength(2); // tcp and udp
    await test.stop!();
    expect(ns.canConnect(4)).toBe(true);
    await ssh.stop!();
  });

  it('check sees a rule deleted behind its back and an inactive ufw; start clears stale rules of an earlier run', async () => {
    const action = create();
    await action.start!();
    await action.ban([makeTicket(ns.attacker4, 'sshd')]);
    fw.ufw(['delete', 'reject', 'from', ns.attacker4]);
    expect(await action.check!()).toBe(false);
    await action.ban([makeTicket(ns.attacker4, 'sshd')]);
    expect(await action.check!()).toBe(true);
    fw.ufw(['--force', 'disable']);
    expect(await action.check!()).toBe(false);
    await expect(action.start!()).rejects.toThrow(/ufw is inactive/);
    fw.ufw(['--force', 'enable']);
    expect(await action.check!()).toBe(true);
    // A rule left by a run that was killed: the next run's start removes it, and keeps nobody else's.
    fw.ufw(['prepend', 'reject', 'from', '192.0.2.99', 'comment', 'portcullis:sshd']);
    fw.ufw(['prepend', 'reject', 'from', '192.0.2.98', 'comment', 'portcullis:other']);
    const next = create();
    await next.start!();
    expect(ours().map((r) => r.from)).toEqual([]);
    expect(ours('other').map((r) => r.from)).toEqual(['192.0.2.98']);
    expect(ns.canConnect(4)).toBe(true);
    fw.ufw(['delete', 'reject', 'from', '192.0.2.98']);
  });

  it('keeps the action contract with ufw as the judge', async () => {
    const present = (ip: string) => ours('contract').some((r) => r.from === ip);
    const result = await checkActionContract(ufwAction, { options: { commandPrefix: fw.prefix }, isBanned: present });
    expect(result.errors).toEqual([]);
  });
});
