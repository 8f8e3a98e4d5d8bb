import type { BanTicket, JailInfo } from '@portcullis/core';
import { makeTicket } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import {
  addElements,
  deleteElements,
  flushScript,
  hasWrongFlags,
  jailObjects,
  listedElements,
  nftTime,
  portMatch,
  ruleCount,
  setNames,
  startScript,
  stopScript,
  upgradeScript,
} from '../src/nft-script.js';

// The scripts the action hands to `nft -f -`, checked without a kernel (the kernel tests in nftables*.test.ts
// show what they do). These pin the edges a kernel test would take minutes to walk: every table family, the
// re-ban transaction of each IP version, statement splitting, and nft's JSON listing.
const jail = (ports: string[] = [], protocol: JailInfo['protocol'] = 'tcp'): JailInfo => ({
  name: 'sshd',
  ports,
  protocol,
  bantime: 600_000,
});
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const ticket = (ip: string, expires: number, extra: Partial<BanTicket> = {}) =>
  makeTicket(ip, 'sshd', { time: NOW, bantime: expires - NOW, expires, ...extra });

describe('nft object names', () => {
  it('prefixes jail names, replaces what nft identifiers cannot carry, and tells apart names that collapse alike', () => {
    expect(jailObjects('inet', 'portcullis', 'sshd')).toEqual({
      family: 'inet',
      table: 'portcullis',
      chain: 'j_sshd',
      set4: 'j_sshd_v4',
      set6: 'j_sshd_v6',
      net4: 'j_sshd_net4',
      net6: 'j_sshd_net6',
      v4: true,
      v6: true,
    });
    const dotted = jailObjects('ip', 't', 'a.b');
    const underscored = jailObjects('ip', 't', 'a_b');
    expect(dotted.chain).toMatch(/^j_a_b_[0-9a-f]{6}$/);
    expect(underscored.chain).toBe('j_a_b');
    expect(dotted).toMatchObject({ v4: true, v6: false, set4: `${dotted.chain}_v4`, net4: `${dotted.chain}_net4` });
    expect(jailObjects('ip6', 't', 'x')).toMatchObject({ v4: false, v6: true });
    // A long name is cut to 40 characters (nft's identifier limit leaves room for the suffixes).
    expect(jailObjects('inet', 't', 'x'.repeat(60)).chain).toMatch(/^j_x{40}_[0-9a-f]{6}$/);
  });
});

describe('nft rule match', () => {
  it('matches all traffic, a protocol, or ports of one or both protocols', () => {
    expect(portMatch(jail([], 'all'))).toBe('');
    expect(portMatch(jail([], 'udp'))).toBe('meta l4proto udp ');
    expect(portMatch(jail(['22', 'http'], 'all'))).toBe('meta l4proto { tcp, udp } th dport { 22, http } ');
    expect(portMatch(jail(['8000:8100'], 'udp'))).toBe('udp dport { 8000-8100 } ');
  });

  it('refuses each malformed port shape', () => {
    for (const bad of ['', '-22', '22:', ':22', '22:123456', 'a b', `p${'x'.repeat(32)}`, '22\n', 'ssh;']) {
      expect(() => portMatch(jail([bad])), JSON.stringify(bad)).toThrow(
        `jail sshd: invalid port "${bad}" (use 22, ssh or 8000:8100)`,
      );
    }
    expect(portMatch(jail([`p${'x'.repeat(31)}`, '65535:65535']))).toBe(
      `tcp dport { p${'x'.repeat(31)}, 65535-65535 } `,
    );
  });
});

describe('nft scripts for the jail objects', () => {
  it('start: table, hash sets for addresses, interval sets for networks, chain, flush and rules, for inet, ip and ip6 tables', () => {
    expect(
      startScript(jailObjects('inet', 'pc', 'sshd'), jail(['22']), { priority: -1, blocktype: 'drop' }),
    ).toBe(
      [
        'add table inet pc',
        'add set inet pc j_sshd_v4 { type ipv4_addr; flags timeout; }',
        'add set inet pc j_sshd_v6 { type ipv6_addr; flags timeout; }',
        'add set inet pc j_sshd_net4 { type ipv4_addr; flags interval,timeout; }',
        'add set inet pc j_sshd_net6 { type ipv6_addr; flags interval,timeout; }',
        'add chain inet pc j_sshd { type filter hook input priority -1; policy accept; }',
        'flush chain inet pc j_sshd',
        'add rule inet pc j_sshd tcp dport { 22 } ip saddr @j_sshd_v4 drop',
        'add rule inet pc j_sshd tcp dport { 22 } ip6 saddr @j_sshd_v6 drop',
        'add rule inet pc j_sshd tcp dport { 22 } ip saddr @j_sshd_net4 drop',
        'add rule inet pc j_sshd tcp dport { 22 } ip6 saddr @j_sshd_net6 drop',
        '',
      ].join('\n'),
    );
    expect(
      startScript(jailObjects('ip', 'pc', 'sshd'), jail([], 'all'), { priority: 0, blocktype: 'reject' }),
    ).toBe(
      [
        'add table ip pc',
        'add set ip pc j_sshd_v4 { type ipv4_addr; flags timeout; }',
        'add set ip pc j_sshd_net4 { type ipv4_addr; flags interval,timeout; }',
        'add chain ip pc j_sshd { type filter hook input priority 0; policy accept; }',
        'flush chain ip pc j_sshd',
        'add rule ip pc j_sshd ip saddr @j_sshd_v4 reject',
        'add rule ip pc j_sshd ip saddr @j_sshd_net4 reject',
        '',
      ].join('\n'),
    );
    const v6 = startScript(jailObjects('ip6', 'pc', 'sshd'), jail(), { priority: 0, blocktype: 'drop' });
    expect(v6).not.toMatch(/_v4|_net4|ipv4/);
    expect(v6).toContain('add rule ip6 pc j_sshd meta l4proto tcp ip6 saddr @j_sshd_v6 drop\n');
    expect(v6).toContain('add rule ip6 pc j_sshd meta l4proto tcp ip6 saddr @j_sshd_net6 drop\n');
  });

  it('stop, flush, rule count and set names follow the families the table holds', () => {
    const inet = jailObjects('inet', 'pc', 'sshd');
    const ip = jailObjects('ip', 'pc', 'sshd');
    const ip6 = jailObjects('ip6', 'pc', 'sshd');
    expect(stopScript(inet)).toBe(
      'delete chain inet pc j_sshd\ndelete set inet pc j_sshd_v4\ndelete set inet pc j_sshd_v6\ndelete set inet pc j_sshd_net4\ndelete set inet pc j_sshd_net6\n',
    );
    expect(stopScript(ip6)).toBe('delete chain ip6 pc j_sshd\ndelete set ip6 pc j_sshd_v6\ndelete set ip6 pc j_sshd_net6\n');
    expect(flushScript(inet)).toBe(
      'flush set inet pc j_sshd_v4\nflush set inet pc j_sshd_v6\nflush set inet pc j_sshd_net4\nflush set inet pc j_sshd_net6\n',
    );
    expect(flushScript(ip)).toBe('flush set ip pc j_sshd_v4\nflush set ip pc j_sshd_net4\n');
    expect([ruleCount(inet), ruleCount(ip), ruleCount(ip6)]).toEqual([4, 2, 2]);
    expect([setNames(inet), setNames(ip), setNames(ip6)]).toEqual([
      ['j_sshd_v4', 'j_sshd_v6', 'j_sshd_net4', 'j_sshd_net6'],
      ['j_sshd_v4', 'j_sshd_net4'],
      ['j_sshd_v6', 'j_sshd_net6'],
    ]);
  });

  it('upgrade: nothing without old sets; else the chain flushed first (when there is one), then each set dropped', () => {
    const o = jailObjects('inet', 'pc', 'sshd');
    // The old layout (an interval set named like today's address set) and a network set without `interval` are wrong.
    expect(hasWrongFlags(o, 'j_sshd_v4', ['interval', 'timeout'])).toBe(true);
    expect(hasWrongFlags(o, 'j_sshd_v6', ['timeout'])).toBe(false);
    expect(hasWrongFlags(o, 'j_sshd_v6', undefined)).toBe(false);
    expect(hasWrongFlags(o, 'j_sshd_net4', ['interval', 'timeout'])).toBe(false);
    expect(hasWrongFlags(o, 'j_sshd_net6', ['timeout'])).toBe(true);
    expect(upgradeScript(o, [], true)).toBe('');
    expect(upgradeScript(o, ['j_sshd_v4', 'j_sshd_v6'], true)).toBe(
      'flush chain inet pc j_sshd\ndelete set inet pc j_sshd_v4\ndelete set inet pc j_sshd_v6\n',
    );
    expect(upgradeScript(o, ['j_sshd_v6'], false)).toBe('delete set inet pc j_sshd_v6\n');
  });
});

describe('nft ban and unban transactions', () => {
  const o = jailObjects('inet', 'pc', 'sshd');

  it('bans addresses and networks of each IP version into their sets with the time left (rounded up, at least 1 s), permanent bans without one', () => {
    const script = addElements(
      o,
      [
        ticket('192.0.2.1', NOW + 600_000),
        ticket('2001:db8::1', NOW + 1500),
        ticket('192.0.2.2', NOW - 5000),
        { ...ticket('2001:db8:1:2::', Number.POSITIVE_INFINITY), ip: '2001:db8:1:2::/64', prefix: 64 },
        { ...ticket('198.51.100.0', NOW + 60_000), ip: '198.51.100.0/24', prefix: 24 },
      ],
      NOW,
    );
    expect(script).toBe(
      [
        'add element inet pc j_sshd_v4 { 192.0.2.1 timeout 10m, 192.0.2.2 timeout 1s }',
        'add element inet pc j_sshd_v6 { 2001:db8::1 timeout 2s }',
        'add element inet pc j_sshd_net4 { 198.51.100.0/24 timeout 1m }',
        'add element inet pc j_sshd_net6 { 2001:db8:1:2::/64 }',
        '',
      ].join('\n'),
    );
  });

  it('an address twice in one batch goes in once, with its latest ticket', () => {
    expect(addElements(o, [ticket('192.0.2.1', NOW + 60_000), ticket('192.0.2.1', NOW + 120_000)], NOW)).toBe(
      'add element inet pc j_sshd_v4 { 192.0.2.1 timeout 2m }\n',
    );
  });

  it('re-creates re-banned elements of both IP versions: add, delete, then add with the new time', () => {
    const tickets = [
      ticket('192.0.2.1', NOW + 7_200_000),
      ticket('192.0.2.2', NOW + 60_000),
      ticket('2001:db8::1', Number.POSITIVE_INFINITY),
      ticket('2001:db8::2', NOW + 60_000),
    ];
    expect(addElements(o, tickets, NOW, new Set(['192.0.2.1', '2001:db8::1']))).toBe(
      [
        'add element inet pc j_sshd_v4 { 192.0.2.1 }',
        'add element inet pc j_sshd_v6 { 2001:db8::1 }',
        'delete element inet pc j_sshd_v4 { 192.0.2.1 }',
        'delete element inet pc j_sshd_v6 { 2001:db8::1 }',
        'add element inet pc j_sshd_v4 { 192.0.2.1 timeout 2h, 192.0.2.2 timeout 1m }',
        'add element inet pc j_sshd_v6 { 2001:db8::1, 2001:db8::2 timeout 1m }',
        '',
      ].join('\n'),
    );
    // A re-banned network is re-created in its network set.
    const net = { ...ticket('198.51.100.0', NOW + 60_000), ip: '198.51.100.0/24', prefix: 24 };
    expect(addElements(o, [net], NOW, new Set([net.ip])).split('\n')).toEqual([
      'add element inet pc j_sshd_net4 { 198.51.100.0/24 }',
      'delete element inet pc j_sshd_net4 { 198.51.100.0/24 }',
      'add element inet pc j_sshd_net4 { 198.51.100.0/24 timeout 1m }',
      '',
    ]);
    // Only IPv6 re-banned: its delete and re-add are there all the same.
    const v6only = addElements(o, [ticket('2001:db8::9', NOW + 60_000)], NOW, new Set(['2001:db8::9'])).split(
      '\n',
    );
    expect(v6only).toEqual([
      'add element inet pc j_sshd_v6 { 2001:db8::9 }',
      'delete element inet pc j_sshd_v6 { 2001:db8::9 }',
      'add element inet pc j_sshd_v6 { 2001:db8::9 timeout 1m }',
      '',
    ]);
  });

  it('splits a large batch into statements of 2000 elements, all in the one script', () => {
    const tickets = Array.from({ length: 4001 }, (_, i) =>
      ticket(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, Number.POSITIVE_INFINITY),
    );
    const lines = addElements(o, tickets, NOW).trimEnd().split('\n');
    expect(lines.map((l) => l.split(', ').length)).toEqual([2000, 2000, 1]);
    expect(lines[2]).toBe('add element inet pc j_sshd_v4 { 10.0.15.160 }');
    const unban = deleteElements(
      o,
      tickets.map((t) => t.ip),
      [],
    )
      .trimEnd()
      .split('\n');
    expect(unban.map((l) => `${l.split(' ')[0]} ${l.split(', ').length}`)).toEqual([
      'add 2000',
      'add 2000',
      'add 1',
      'delete 2000',
      'delete 2000',
      'delete 1',
    ]);
  });

  it('unbans by adding then deleting each element once (so an unknown one is no error), in the set it belongs in', () => {
    expect(deleteElements(o, ['192.0.2.1', '192.0.2.1', '10.1.0.0/16', '192.0.2.2'], ['2001:db8::1', '2001:db8:7::/48'])).toBe(
      [
        'add element inet pc j_sshd_v4 { 192.0.2.1, 192.0.2.2 }',
        'add element inet pc j_sshd_v6 { 2001:db8::1 }',
        'add element inet pc j_sshd_net4 { 10.1.0.0/16 }',
        'add element inet pc j_sshd_net6 { 2001:db8:7::/48 }',
        'delete element inet pc j_sshd_v4 { 192.0.2.1, 192.0.2.2 }',
        'delete element inet pc j_sshd_v6 { 2001:db8::1 }',
        'delete element inet pc j_sshd_net4 { 10.1.0.0/16 }',
        'delete element inet pc j_sshd_net6 { 2001:db8:7::/48 }',
        '',
      ].join('\n'),
    );
    expect(deleteElements(o, [], [])).toBe('');
    expect(addElements(o, [], NOW)).toBe('');
  });
});

describe('nft times and listings', () => {
  it('writes times in days, hours, minutes and seconds, leaving out zero units', () => {
    expect([0, 0.4, 1, 59, 60, 61, 3600, 3601, 86_400, 90_061, -5].map(nftTime)).toEqual([
      '0s',
      '0s',
      '1s',
      '59s',
      '1m',
      '1m1s',
      '1h',
      '1h1s',
      '1d',
      '1d1h1m1s',
      '0s',
    ]);
    expect(nftTime(86_399.6)).toBe('1d');
  });

  it('reads addresses, networks and time left from nft JSON, and skips what it cannot read', () => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { set: { name: 'j_sshd_v6' } },
        {
          set: {
            elem: [
              { elem: { val: { prefix: { addr: '2001:db8:1:2::', len: 64 } }, timeout: 600, expires: 120 } },
              { prefix: { addr: '198.51.100.0', len: 24 } },
              { elem: { val: { prefix: { addr: '198.51.100.0', len: '24' } } } },
              { elem: { val: { prefix: { addr: 7, len: 24 } } } },
              { elem: { val: { range: ['192.0.2.1', '192.0.2.9'] } } },
              { elem: { val: null } },
              { elem: { val: '192.0.2.3', expires: 'soon' } },
              { elem: {} },
              '2001:db8::3',
            ],
          },
        },
      ],
    });
    expect(listedElements(json, NOW)).toEqual([
      { ip: '2001:db8:1:2::/64', expires: NOW + 120_000 },
      // A network without a timeout is listed bare, not inside `elem`.
      { ip: '198.51.100.0/24', expires: Number.POSITIVE_INFINITY },
      { ip: '192.0.2.3', expires: Number.POSITIVE_INFINITY },
      { ip: '2001:db8::3', expires: Number.POSITIVE_INFINITY },
    ]);
    expect(listedElements('{}', NOW)).toEqual([]);
  });
});
