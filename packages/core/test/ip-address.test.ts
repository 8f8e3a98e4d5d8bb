import { describe, expect, test } from 'vitest';
import { parseAddress } from '../src/util/ip-address.js';

describe('parseAddress', () => {
  test.each([
    ['192.0.2.1', 4, '192.0.2.1'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['255.255.255.255', 4, '255.255.255.255'],
    ['2001:DB8:0:0:0:0:0:1', 6, '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', 6, '2001:db8::ff00:42:8329'],
    ['::1', 6, '::1'],
    ['::', 6, '::'],
    ['1::', 6, '1::'],
    ['[2001:db8::1]', 6, '2001:db8::1'],
    ['fe80::1%eth0', 6, 'fe80::1'],
    ['[fe80::1%25eth0]', 6, 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
    ['2001:db8::0:1', 6, '2001:db8::1'],
    ['2001:db8:1:1:1:1:1:0', 6, '2001:db8:1:1:1:1:1:0'],
    ['64:ff9b::192.0.2.33', 6, '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:1.2.3.4', 6, '1:2:3:4:5:6:102:304'],
    ['::ffff:1.2.3.4', 4, '1.2.3.4'],
    ['::FFFF:0a0b:0c0d', 4, '10.11.12.13'],
    ['[::ffff:192.0.2.1]', 4, '192.0.2.1'],
  ])('%s', (text, family, canonical) => {
    const ip = parseAddress(text);
    expect(ip?.family).toBe(family);
    expect(ip?.canonical).toBe(canonical);
    expect(ip?.bytes.length).toBe(family === 4 ? 4 : 16);
  });

  test.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '999.1.1.1',
    '01.2.3.4',
    '1.2.3.4/24',
    'example.com',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    '::g',
    '[::1',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3',
    'fe80::1%',
  ])('rejects %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  test('bytes are in network order', () => {
    expect([...parseAddress('2001:db8::ff')!.bytes]).toEqual([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    expect([...parseAddress('10.0.0.255')!.bytes]).toEqual([10, 0, 0, 255]);
  });

  test('RFC 5952: the first of equally long zero runs is compressed, single zero groups are not', () => {
    expect(parseAddress('1:0:0:1:0:0:1:1')?.canonical).toBe('1::1:0:0:1:1');
    expect(parseAddress('1:0:1:1:1:1:1:1')?.canonical).toBe('1:0:1:1:1:1:1:1');
  });
});

describe('parseAddress: what it refuses, at each edge', () => {
  test.each([
    ['1..2.3', 'an empty octet'],
    ['192.0.2.;', 'a character just above the digits'],
    ['192.0.2.1-', 'a character just below the digits'],
    ['192.0.2.1.5', 'five octets'],
    ['1:2:3:4::5:6:7:8', 'a :: standing for no group'],
    ['2001:db8::g', 'a letter past f'],
    ['2001:db8::@', 'a character between 9 and A'],
    ['2001:db8::`', 'a character between Z and a'],
    ['2001:db8::12345', 'a group of five digits'],
    ['1::2::3', 'two ::'],
    [`fe80::1%${'a'.repeat(53)}`, 'more than 60 characters with the zone'],
    ['[192.0.2.1', 'an unclosed bracket'],
    ['1', 'one character'],
    ['1.2.3.4::', 'a dotted quad before ::'],
    ['1.2.3.4::1', 'a dotted quad at the end of the head'],
    ['::1.2.3.4:1', 'a dotted quad not last'],
    ['1:::2', 'three colons'],
    ['::1::', 'a second :: at the end'],
  ])('%j (%s)', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  test('hex digits in either case, 60 characters with a zone, compatible (not mapped) IPv4 tails stay IPv6', () => {
    expect(parseAddress('2001:db8::abcd')!.canonical).toBe('2001:db8::abcd');
    expect(parseAddress('2001:DB8::ABCD')!.canonical).toBe('2001:db8::abcd');
    expect(parseAddress('2001:db8::09af')!.canonical).toBe('2001:db8::9af');
    expect(parseAddress(`fe80::1%${'a'.repeat(52)}`)!.canonical).toBe('fe80::1');
    expect(parseAddress('::1.2.3.4')).toMatchObject({ family: 6, canonical: '::102:304' });
    expect(parseAddress('::fffe:1.2.3.4')).toMatchObject({ family: 6, canonical: '::fffe:102:304' });
    expect(parseAddress('::ffff:1.2.3.4')).toMatchObject({ family: 4, canonical: '1.2.3.4' });
    // One byte short of the mapped prefix, either byte of the ffff group or the group before it: IPv6.
    expect(parseAddress('::ff:1.2.3.4')).toMatchObject({ family: 6, canonical: '::ff:102:304' });
    expect(parseAddress('::ff00:1.2.3.4')).toMatchObject({ family: 6, canonical: '::ff00:102:304' });
    expect(parseAddress('::1:ffff:1.2.3.4')).toMatchObject({ family: 6, canonical: '::1:ffff:102:304' });
    expect(parseAddress('[2001:db8::1]')!.canonical).toBe('2001:db8::1');
  });

  test('the mapped form read directly agrees with the general reading, and falls back to it for any other tail', () => {
    expect(parseAddress('::FFFF:10.5.1.2')).toMatchObject({ family: 4, canonical: '10.5.1.2', bytes: Uint8Array.from([10, 5, 1, 2]) });
    expect(parseAddress('[::ffff:10.5.1.2]')).toMatchObject({ family: 4, canonical: '10.5.1.2' });
    expect(parseAddress('::ffff:10.5.1.2%eth0')).toMatchObject({ family: 4, canonical: '10.5.1.2' });
    expect(parseAddress('::ffff:0a05:0102')).toMatchObject({ family: 4, canonical: '10.5.1.2' });
    // A zero group before the quad (SIIT) is IPv6, not mapped.
    expect(parseAddress('::ffff:0:1.2.3.4')).toMatchObject({ family: 6, canonical: '::ffff:0:102:304' });
    for (const bad of ['::ffff:', '::ffff:1.2.3', '::ffff:1.2.3.04', '::ffff:1.2.3.4.5', '::ffff:1.2.3.256', '::fffff:1.2.3.4', ':::ffff:1.2.3.4']) expect(parseAddress(bad)).toBeUndefined();
  });

  test('a dotted quad keeps its own text as the canonical form', () => {
    const text = ['192', '0', '2', '77'].join('.');
    expect(parseAddress(text)!.canonical).toBe(text);
    expect(parseAddress('[192.0.2.77]')!.canonical).toBe('192.0.2.77');
  });
});
