// The restore batch's list of addresses: IPv4 held as numbers, anything else as strings, in push order.
import { describe, expect, it } from 'vitest';
import { ipv4Key } from '../src/jail/host-key.js';
import { HostList } from '../src/jail/host-list.js';

describe('HostList', () => {
  it('gives back every key as pushed, in order, with its number, through growth', () => {
    const list = new HostList();
    const keys: string[] = [];
    for (let i = 0; i < 1000; i++) {
      // IPv6, networks and text that only looks like an IPv4 address (a leading zero) stay strings.
      const key = i % 5 === 1 ? `2001:db8::${i.toString(16)}` : i % 5 === 2 ? `10.0.${i & 255}.0/24` : i % 5 === 3 && i < 100 ? `10.0.0.0${i}` : ipv4Key(0xc000_0200 + i);
      keys.push(key);
      list.push(key, 500 - i);
    }
    expect(list.length).toBe(1000);
    expect([...list]).toEqual(keys);
    for (let i = 0; i < 1000; i++) {
      expect(list.at(i)).toBe(keys[i]);
      expect(list.valueAt(i)).toBe(500 - i);
    }
  });

  it('holds IPv4 keys alone without a string array, and starts one when the first other key comes', () => {
    const list = new HostList();
    list.push('0.0.0.0');
    list.push('255.255.255.255', 7);
    expect([...list]).toEqual(['0.0.0.0', '255.255.255.255']);
    expect(list.valueAt(0)).toBe(0);
    list.push('::1');
    list.push('192.0.2.1');
    expect([...list]).toEqual(['0.0.0.0', '255.255.255.255', '::1', '192.0.2.1']);
    expect(new HostList().length).toBe(0);
    expect([...new HostList()]).toEqual([]);
  });
});
