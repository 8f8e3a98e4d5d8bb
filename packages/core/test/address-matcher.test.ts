import { describe, expect, test } from 'vitest';
import { AddressMatcher } from '../src/jail/address-matcher.js';
import { PortcullisError } from '../src/util/errors.js';
import { parseAddress } from '../src/util/ip-address.js';
import { parseNetwork } from '../src/util/ip-network.js';

describe('AddressMatcher', () => {
  const m = new AddressMatcher(['127.0.0.1/8', '::1', '2001:db8::/32', '192.0.2.7', '10.1.2.3/32', '198.51.100.0/25', '2001:db8:ffff::/128', '203.0.113.0/24']);

  test.each([
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['128.0.0.1', false],
    ['::1', true],
    ['::2', false],
    ['2001:db8:1234::5', true],
    ['2001:DB9::1', false],
    ['192.0.2.7', true],
    ['192.0.2.8', false],
    ['10.1.2.3', true],
    ['198.51.100.127', true],
    ['198.51.100.128', false],
    ['::ffff:127.0.0.2', true],
    ['::ffff:198.51.100.1', true],
    ['[2001:db8::1]', true],
    ['203.0.113.66', true],
    ['not an address', false],
  ])('%s → %s', (ip, want) => {
    expect(m.has(ip)).toBe(want);
    const parsed = parseAddress(ip);
    if (parsed) expect(m.has(parsed)).toBe(want);
  });

  test('size counts addresses and networks', () => {
    expect(m.size).toBe(8);
  });

  test('odd prefixes and v4-mapped networks', () => {
    const n = new AddressMatcher(['10.0.0.0/9', '::ffff:172.16.0.0/108', '2001:db8:8000::/33']);
    expect(n.has('10.127.255.255')).toBe(true);
    expect(n.has('10.128.0.0')).toBe(false);
    expect(n.has('172.31.255.255')).toBe(true);
    expect(n.has('172.32.0.0')).toBe(false);
    expect(n.has('2001:db8:8000::1')).toBe(true);
    expect(n.has('2001:db8:7fff::1')).toBe(false);
  });

  test.each(['example.com', '1.2.3.4/33', '::1/129', '1.2.3.4/', '1.2.3.4/x', '1.2.3', ''])('rejects %j with ADDRESS_INVALID', (entry) => {
    try {
      new AddressMatcher(['127.0.0.1', entry]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PortcullisError);
      expect((e as PortcullisError).code).toBe('ADDRESS_INVALID');
      expect((e as PortcullisError).message).toContain(`"${entry}"`);
    }
  });

  // Speed is measured in bench/; this bound only catches a per-entry scan gone quadratic on a loaded machine.
  test('1,000,000 look-ups against 1,002 entries finish (no per-look-up scan blow-up)', () => {
    const big = new AddressMatcher([...Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`), '192.168.0.0/16', '2001:db8::/32']);
    const probe = parseAddress('198.51.100.1')!;
    const t0 = performance.now();
    let hits = 0;
    for (let i = 0; i < 1_000_000; i++) if (big.has(probe)) hits++;
    expect(hits).toBe(0);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  test('overlaps: a network holding an address entry, or overlapping a network entry either way', () => {
    const m = new AddressMatcher(['192.0.2.7', '10.1.0.0/16', '2001:db8:aa::/48']);
    const net = (text: string) => parseNetwork(text)!;
    expect(m.overlaps(net('192.0.2.0/24'))).toBe(true);
    expect(m.overlaps(net('192.0.3.0/24'))).toBe(false);
    expect(m.overlaps(net('10.0.0.0/8'))).toBe(true); // holds the entry
    expect(m.overlaps(net('10.1.2.0/24'))).toBe(true); // held by the entry
    expect(m.overlaps(net('10.2.0.0/16'))).toBe(false);
    expect(m.overlaps(net('10.0.0.0/15'))).toBe(true);
    expect(m.overlaps(net('10.2.0.0/15'))).toBe(false);
    expect(m.overlaps(net('2001:db8:aa:1::/64'))).toBe(true);
    expect(m.overlaps(net('2001:db8:ab::/48'))).toBe(false);
    expect(m.overlaps(net('::ffff:10.1.0.0/112'))).toBe(true);
    expect(new AddressMatcher(['2001:db8::/32']).overlaps(net('0.0.0.0/0'))).toBe(false);
  });

  test('counts its entries, and says what a valid entry looks like', () => {
    expect(new AddressMatcher(['192.0.2.1', '192.0.2.1/32', '10.0.0.0/8', '2001:db8::/32']).size).toBe(3);
    expect(new AddressMatcher(['2001:db8::1', '2001:DB8:0::1/128', '[2001:db8::1]', '2001:db8::/127']).size).toBe(2);
    expect(new AddressMatcher([]).size).toBe(0);
    const error = (() => {
      try {
        new AddressMatcher(['192.0.2.1', 'example.org']);
      } catch (e) {
        return e as PortcullisError;
      }
    })()!;
    expect(error.code).toBe('ADDRESS_INVALID');
    expect(error.message).toBe('"example.org" is not an IP address or CIDR network');
    expect(error.hint).toMatch(/^use addresses like 192\.0\.2\.1 .*host names are not allowed$/);
  });
});
