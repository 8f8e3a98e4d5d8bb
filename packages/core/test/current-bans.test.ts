import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { CurrentBans } from '../src/jail/current-bans.js';

function ticket(ip: string, over: Partial<BanTicket> = {}): BanTicket {
  return {
    ip,
    family: 4,
    jail: 'sshd',
    time: 1_700_000_000_000,
    bantime: 600_000,
    expires: 1_700_000_600_000,
    failures: 5,
    banCount: 1,
    matches: ['a line'],
    users: ['root'],
    reason: 'failures',
    ...over,
  };
}

describe('CurrentBans', () => {
  it('keeps bans without their lines and gives them back as tickets', () => {
    const bans = new CurrentBans('sshd');
    bans.set(ticket('192.0.2.1'));
    bans.set(
      ticket('2001:db8::1', {
        family: 6,
        bantime: -1,
        expires: Number.POSITIVE_INFINITY,
        failures: 0,
        banCount: 3,
        reason: 'manual',
      }),
    );
    bans.set(ticket('192.0.2.2', { reason: undefined }));
    expect(bans.size).toBe(3);
    expect(bans.get('192.0.2.1')).toEqual({ ...ticket('192.0.2.1'), matches: [], users: undefined });
    expect(bans.get('2001:db8::1')).toMatchObject({
      family: 6,
      bantime: -1,
      expires: Number.POSITIVE_INFINITY,
      failures: 0,
      banCount: 3,
      reason: 'manual',
    });
    expect(bans.get('192.0.2.2')?.reason).toBeUndefined();
    expect(bans.expires('192.0.2.1')).toBe(1_700_000_600_000);
    expect(bans.expires('192.0.2.9')).toBeUndefined();
    expect(bans.all().map((t) => t.ip)).toEqual(['192.0.2.1', '2001:db8::1', '192.0.2.2']);
    bans.set(ticket('192.0.2.1', { banCount: 2, reason: 'restore' }));
    expect(bans.get('192.0.2.1')).toMatchObject({ banCount: 2, reason: 'restore' });
    expect(bans.delete('192.0.2.1')).toBe(true);
    expect(bans.delete('192.0.2.1')).toBe(false);
    expect(bans.has('192.0.2.1')).toBe(false);
    expect(bans.size).toBe(2);
  });

  it('grows, reuses slots and shrinks after a flood without mixing bans up', () => {
    const bans = new CurrentBans('sshd');
    const ip = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    for (let i = 0; i < 5000; i++)
      bans.set(ticket(ip(i), { time: i, expires: i + 1000, failures: i % 7, banCount: i }));
    for (let i = 0; i < 4900; i++) bans.delete(ip(i));
    for (let i = 5000; i < 5050; i++)
      bans.set(ticket(ip(i), { time: i, expires: i + 1000, failures: i % 7, banCount: i }));
    expect(bans.size).toBe(150);
    for (let i = 4900; i < 5050; i++)
      expect(bans.get(ip(i))).toMatchObject({ time: i, expires: i + 1000, failures: i % 7, banCount: i });
    expect(bans.all().map((t) => t.banCount)).toEqual(Array.from({ length: 150 }, (_, k) => 4900 + k));
  });

  it('lists bans one at a time, skipping those lifted meanwhile, and takes a ban out whole', () => {
    const bans = new CurrentBans('sshd');
    for (let i = 0; i < 200; i++) bans.set(ticket(`10.0.0.${i}`, { failures: i }));
    const seen: string[] = [];
    for (const t of bans.tickets()) {
      seen.push(t.ip);
      // Lifting most of the table while listing it shrinks and renumbers it (rebuild): nothing breaks.
      if (seen.length === 10) for (let i = 50; i < 200; i++) bans.delete(`10.0.0.${i}`);
      expect(t).toEqual({ ...ticket(t.ip, { failures: Number(t.ip.split('.')[3]) }), matches: [], users: undefined });
    }
    expect(seen).toHaveLength(50);
    expect(bans.ips()).toEqual(seen);
    expect(bans.take('10.0.0.7')).toEqual({ ...ticket('10.0.0.7', { failures: 7 }), matches: [], users: undefined });
    expect(bans.take('10.0.0.7')).toBeUndefined();
    expect(bans.has('10.0.0.7')).toBe(false);
    expect(bans.size).toBe(49);
  });

  it('counts every change, so a ticket list built before one is never taken as current', () => {
    // A restore batch keeps its list while `changes` stays: a ban kept then lifted must not bring it back.
    const bans = new CurrentBans('sshd');
    const seen = [bans.changes];
    bans.set(ticket('192.0.2.1'));
    seen.push(bans.changes);
    bans.set(ticket('192.0.2.1', { banCount: 2 }));
    seen.push(bans.changes);
    bans.delete('192.0.2.1');
    seen.push(bans.changes);
    bans.delete('192.0.2.1');
    seen.push(bans.changes);
    expect(seen).toEqual([0, 1, 2, 3, 3]);
  });

  it('keeps an address in its slot when its ban is replaced; the slot reads back as a restore ticket', () => {
    const bans = new CurrentBans('sshd');
    const a = bans.set(ticket('192.0.2.1'));
    const b = bans.set(ticket('192.0.2.2'));
    expect(b).not.toBe(a);
    expect(bans.set(ticket('192.0.2.1', { banCount: 4 }))).toBe(a);
    expect(bans.restoreTicket('192.0.2.1', a)).toMatchObject({ ip: '192.0.2.1', banCount: 4, reason: 'restore' });
    expect(bans.restoreTicket('192.0.2.2')).toMatchObject({ ip: '192.0.2.2', reason: 'restore' });
    expect(bans.restoreTicket('192.0.2.9')).toBeUndefined();
  });

  it('leaves out the optional fields a ban does not have, and keeps those it has', () => {
    const bans = new CurrentBans('sshd');
    bans.set(ticket('192.0.2.1'));
    bans.set(ticket('2001:db8::/64', { family: 6, prefix: 64, origin: 'node-b' }));
    expect(Object.keys(bans.get('192.0.2.1')!)).not.toEqual(expect.arrayContaining(['origin']));
    expect(Object.keys(bans.get('192.0.2.1')!)).not.toEqual(expect.arrayContaining(['prefix']));
    expect(bans.get('2001:db8::/64')).toMatchObject({ prefix: 64, origin: 'node-b' });
    // A ban replaced without an origin loses it.
    bans.set(ticket('2001:db8::/64', { family: 6, prefix: 64 }));
    expect(Object.keys(bans.get('2001:db8::/64')!)).not.toEqual(expect.arrayContaining(['origin']));
  });

  it('packs the bans left after a mass unban into the first slots, in the order they were made', () => {
    const bans = new CurrentBans('sshd');
    const ip = (i: number) => `10.1.${i >> 8}.${i & 255}`;
    for (let i = 0; i < 1000; i++) bans.set(ticket(ip(i), { banCount: i }));
    // Fewer than a quarter of the slots in use: the table is rebuilt, slots numbered from 0 in ban order.
    for (let i = 0; i < 1000; i++) if (i % 20 !== 0) bans.delete(ip(i));
    const kept = Array.from({ length: 50 }, (_, k) => ip(k * 20));
    expect(kept.map((a) => bans.set(ticket(a, { banCount: 7 })))).toEqual(Array.from({ length: 50 }, (_, k) => k));
    // A small table is not rebuilt: slots stay where they were.
    const small = new CurrentBans('sshd');
    const slots = Array.from({ length: 20 }, (_, i) => small.set(ticket(ip(i))));
    for (let i = 0; i < 19; i++) small.delete(ip(i));
    expect(small.set(ticket(ip(19)))).toBe(slots[19]);
  });

  it('keeps IPv4 addresses, IPv6 addresses and networks apart, listed in the order they were first banned', () => {
    const bans = new CurrentBans('sshd');
    const made = [
      ticket('192.0.2.1'),
      ticket('2001:db8::1', { family: 6 }),
      ticket('198.51.100.0/24', { prefix: 24, reason: 'subnet' }),
      ticket('0.0.0.0', { banCount: 9 }),
      ticket('2001:db8::/64', { family: 6, prefix: 64, origin: 'node-b' }),
      ticket('255.255.255.255', { expires: Number.POSITIVE_INFINITY, bantime: -1 }),
    ];
    for (const t of made) bans.set(t);
    const ips = made.map((t) => t.ip);
    expect(bans.ips()).toEqual(ips);
    expect([...bans.hostList()]).toEqual(ips);
    expect(bans.all()).toEqual(made.map((t) => ({ ...t, matches: [], users: undefined })));
    expect([...bans.tickets()].map((t) => t.ip)).toEqual(ips);
    // A string that reads like an address but is not one in canonical form is another key.
    expect(bans.has('192.0.2.01')).toBe(false);
    expect(bans.has('198.51.100.0')).toBe(false);
    expect(bans.get('198.51.100.0/24')).toMatchObject({ family: 4, prefix: 24, reason: 'subnet' });
    expect(bans.get('2001:db8::/64')).toMatchObject({ family: 6, prefix: 64, origin: 'node-b' });
    expect(bans.expires('255.255.255.255')).toBe(Number.POSITIVE_INFINITY);
    expect(bans.get('0.0.0.0')?.banCount).toBe(9);
  });

  it('keeps first-banned order through deletes: a replaced ban keeps its place, a lifted one banned again goes last', () => {
    const bans = new CurrentBans('sshd');
    const keys = ['10.0.0.1', '2001:db8::a', '10.0.0.2', '10.0.0.0/8', '2001:db8::b', '10.0.0.3'];
    for (const ip of keys) bans.set(ticket(ip));
    bans.delete('2001:db8::a');
    bans.delete('10.0.0.2');
    bans.set(ticket('10.0.0.1', { banCount: 2 }));
    bans.set(ticket('10.0.0.2'));
    bans.set(ticket('2001:db8::c', { family: 6 }));
    const order = ['10.0.0.1', '10.0.0.0/8', '2001:db8::b', '10.0.0.3', '10.0.0.2', '2001:db8::c'];
    expect(bans.ips()).toEqual(order);
    expect(bans.all().map((t) => t.ip)).toEqual(order);
    expect([...bans.tickets()].map((t) => t.ip)).toEqual(order);
    expect(bans.get('10.0.0.1')?.banCount).toBe(2);
    expect(bans.size).toBe(6);
  });

  it('shrinks after a mass unban of mixed keys, packing what is left into the first slots in order', () => {
    const bans = new CurrentBans('sshd');
    const key = (i: number) => (i % 10 === 3 ? `2001:db8::${i.toString(16)}` : i % 10 === 7 ? `10.${i >> 8}.${i & 255}.0/24` : `10.2.${i >> 8}.${i & 255}`);
    const made = (i: number) => ticket(key(i), { family: i % 10 === 3 ? 6 : 4, prefix: i % 10 === 7 ? 24 : undefined, banCount: i, time: i });
    for (let i = 0; i < 4000; i++) bans.set(made(i));
    for (let i = 0; i < 4000; i++) if (i % 100 !== 0) bans.delete(key(i));
    expect(bans.size).toBe(40);
    const kept = Array.from({ length: 40 }, (_, k) => k * 100);
    expect(bans.all()).toEqual(kept.map((i) => ({ ...made(i), matches: [], users: undefined })));
    // Rebuilt with the bans left numbered from 0 in ban order: a replaced ban keeps its slot.
    const slots = kept.map((i) => bans.set(made(i)));
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(slots.at(-1)).toBeLessThan(128);
    // And it grows again from there.
    for (let i = 4000; i < 4100; i++) bans.set(made(i));
    expect(bans.ips()).toEqual([...kept, ...Array.from({ length: 100 }, (_, k) => 4000 + k)].map(key));
  });

  it('lists every ban held throughout exactly once, while others are made and lifted in numbers (renumbering the table)', () => {
    const bans = new CurrentBans('sshd');
    for (let i = 0; i < 300; i++) bans.set(ticket(`10.3.${i >> 8}.${i & 255}`, { banCount: i }));
    const seen: number[] = [];
    let step = 0;
    for (const t of bans.tickets()) {
      seen.push(t.banCount);
      step++;
      // Lift every other ban not yet listed, then make enough new ones that the full table is rebuilt.
      if (step === 50) for (let i = 51; i < 300; i += 2) bans.delete(`10.3.${i >> 8}.${i & 255}`);
      if (step === 60) for (let i = 300; i < 1000; i++) bans.set(ticket(`2001:db8::${i.toString(16)}`, { family: 6, banCount: i }));
    }
    const expected = [
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 250 }, (_, k) => 50 + k).filter((i) => i === 50 || i % 2 === 0),
      ...Array.from({ length: 700 }, (_, k) => 300 + k),
    ];
    expect(seen).toEqual(expected);
  });

  it('keeps a ban whose expiry is not a number as one that never ends', () => {
    const bans = new CurrentBans('sshd');
    bans.set(ticket('192.0.2.1', { expires: Number.NaN }));
    expect(bans.has('192.0.2.1')).toBe(true);
    expect(bans.expires('192.0.2.1')).toBe(Number.POSITIVE_INFINITY);
    expect(bans.size).toBe(1);
  });

  it('bans keep their own times and counts when lifts and new bans compact the table in place', () => {
    // 64 slots filled, 40 lifted (not few enough to shrink), then new bans until the table is full again:
    // the index then packs its entries into the same columns, and every ban's figures must move with it.
    const bans = new CurrentBans('sshd');
    const ip = (i: number) => (i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `198.51.100.${i}`);
    const made = (i: number) => ticket(ip(i), { family: i % 3 === 0 ? 6 : 4, time: 1_700_000_000_000 + i, failures: 5 + i, banCount: 1 + (i % 7) });
    for (let i = 0; i < 64; i++) bans.set(made(i));
    for (let i = 0; i < 64; i++) if (i % 8 < 5) bans.delete(ip(i));
    for (let i = 64; i < 140; i++) bans.set(made(i));
    const kept = [...Array(140).keys()].filter((i) => i >= 64 || i % 8 >= 5);
    expect(bans.size).toBe(kept.length);
    for (const i of kept) expect(bans.get(ip(i)), ip(i)).toMatchObject({ ip: ip(i), time: 1_700_000_000_000 + i, failures: 5 + i, banCount: 1 + (i % 7) });
    expect(bans.ips()).toEqual(kept.map(ip));
  });

  it('a listing in progress sees each ban it may see once when the table is compacted in place under it', () => {
    const bans = new CurrentBans('sshd');
    const ip = (i: number) => `198.51.100.${i}`;
    for (let i = 0; i < 64; i++) bans.set(ticket(ip(i)));
    const listing = bans.tickets();
    const seen: string[] = [];
    for (let k = 0; k < 20; k++) seen.push(listing.next().value!.ip);
    // Lift most bans on both sides of where the listing stands, then fill the table: it is packed in place.
    for (let i = 0; i < 64; i++) if (i % 8 < 5) bans.delete(ip(i));
    for (let i = 64; i < 140; i++) bans.set(ticket(`203.0.113.${i - 64}`));
    for (let t = listing.next(); !t.done; t = listing.next()) seen.push(t.value.ip);
    expect(new Set(seen).size).toBe(seen.length);
    // Every ban that stayed from start to end, and every new one, is listed.
    for (const ip of bans.ips()) expect(seen, ip).toContain(ip);
  });
});
