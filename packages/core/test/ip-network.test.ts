import { describe, expect, test } from 'vitest';
import { parseAddress } from '../src/util/ip-address.js';
import { addressBits, networkContains, networkOf, parseNetwork, prefixKey, targetParts } from '../src/util/ip-network.js';

const ip = (text: string) => parseAddress(text)!;

describe('parseNetwork', () => {
  test.each([
    ['198.51.100.0/24', 4, 24, '198.51.100.0/24'],
    // Host bits are cleared, whole bytes and partial ones.
    ['198.51.100.7/24', 4, 24, '198.51.100.0/24'],
    ['198.51.101.7/23', 4, 23, '198.51.100.0/23'],
    ['10.255.255.255/9', 4, 9, '10.128.0.0/9'],
    ['255.255.255.255/1', 4, 1, '128.0.0.0/1'],
    ['192.0.2.9/0', 4, 0, '0.0.0.0/0'],
    ['192.0.2.9/32', 4, 32, '192.0.2.9'],
    ['192.0.2.9', 4, 32, '192.0.2.9'],
    ['  192.0.2.9/31 ', 4, 31, '192.0.2.8/31'],
    ['2001:db8:aa:bb:cc::1/64', 6, 64, '2001:db8:aa:bb::/64'],
    ['2001:db8:ffff::1/33', 6, 33, '2001:db8:8000::/33'],
    ['2001:DB8::1/128', 6, 128, '2001:db8::1'],
    ['2001:db8::ffff/127', 6, 127, '2001:db8::fffe/127'],
    ['::/0', 6, 0, '::/0'],
    // IPv4-mapped networks count the mapped bits.
    ['::ffff:10.1.2.3/104', 4, 8, '10.0.0.0/8'],
    ['::ffff:10.1.2.3/128', 4, 32, '10.1.2.3'],
    ['::ffff:10.1.2.3', 4, 32, '10.1.2.3'],
  ])('%s → %s bits %s, %s', (text, family, prefix, canonical) => {
    expect(parseNetwork(text)).toMatchObject({ family, prefix, canonical });
  });

  test.each([
    '192.0.2.0/33',
    '2001:db8::/129',
    '::ffff:10.0.0.0/95',
    '192.0.2.0/24x',
    '192.0.2.0/x24',
    '192.0.2.0/ 24',
    '192.0.2.0/-1',
    '192.0.2.0/',
    '192.0.2.0/1000',
    'example.org/24',
    '',
  ])('refuses %j', (text) => {
    expect(parseNetwork(text)).toBeUndefined();
  });

  test('keeps the bytes of the network, host bits zero', () => {
    expect([...parseNetwork('198.51.100.77/26')!.bytes]).toEqual([198, 51, 100, 64]);
    expect([...parseNetwork('2001:db8::1/16')!.bytes]).toEqual([0x20, 0x01, ...new Array(14).fill(0)]);
  });
});

describe('networkOf and prefixKey', () => {
  test('the address itself at full length, its network below', () => {
    const v4 = ip('203.0.113.77');
    expect(networkOf(v4, 32)).toEqual({ family: 4, bytes: v4.bytes, prefix: 32, canonical: '203.0.113.77' });
    expect(networkOf(v4, 40)).toMatchObject({ prefix: 32, canonical: '203.0.113.77' });
    expect(networkOf(v4, 24)).toMatchObject({ family: 4, prefix: 24, canonical: '203.0.113.0/24' });
    expect([...networkOf(v4, 20).bytes]).toEqual([203, 0, 112, 0]);
    const v6 = ip('2001:db8:1:2:3:4:5:6');
    expect(networkOf(v6, 128).canonical).toBe('2001:db8:1:2:3:4:5:6');
    expect(networkOf(v6, 64)).toMatchObject({ family: 6, prefix: 64, canonical: '2001:db8:1:2::/64' });
  });

  test('per family: IPv4 bits for IPv4, IPv6 bits for IPv6', () => {
    expect(prefixKey(ip('198.51.100.9'), 24, 48)).toBe('198.51.100.0/24');
    expect(prefixKey(ip('2001:db8:7:8::9'), 24, 48)).toBe('2001:db8:7::/48');
    expect(prefixKey(ip('198.51.100.9'), 32, 64)).toBe('198.51.100.9');
    expect(addressBits(4)).toBe(32);
    expect(addressBits(6)).toBe(128);
  });
});

describe('networkContains', () => {
  test.each([
    ['198.51.100.0/24', '198.51.100.255', true],
    ['198.51.100.0/24', '198.51.101.0', false],
    ['198.51.100.0/23', '198.51.101.3', true],
    ['198.51.100.0/23', '198.51.102.3', false],
    ['198.51.100.64/26', '198.51.100.127', true],
    ['198.51.100.64/26', '198.51.100.128', false],
    ['198.51.100.64/26', '198.51.100.63', false],
    ['0.0.0.0/0', '203.0.113.1', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/31', '2001:db9::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['192.0.2.7', '192.0.2.7', true],
    ['192.0.2.7', '192.0.2.8', false],
  ])('%s holds %s: %s', (net, address, holds) => {
    expect(networkContains(parseNetwork(net)!, ip(address))).toBe(holds);
  });
});

describe('targetParts', () => {
  test('splits a ban target into its address, prefix and family', () => {
    expect(targetParts('198.51.100.0/24')).toEqual({ address: '198.51.100.0', prefix: 24, family: 4 });
    expect(targetParts('192.0.2.1')).toEqual({ address: '192.0.2.1', prefix: 32, family: 4 });
    expect(targetParts('2001:db8:aa::/48')).toEqual({ address: '2001:db8:aa::', prefix: 48, family: 6 });
    expect(targetParts('2001:db8::1')).toEqual({ address: '2001:db8::1', prefix: 128, family: 6 });
    expect(targetParts('not a target')).toBeUndefined();
  });
});
