// The failure tracker's table of hosts: checked against a plain `Map` (the reference it replaces), through
// growth, deletion gaps, compaction and keys of both kinds (IPv4 held as numbers, anything else as strings).
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { hashString, ipv4Key, ipv4Number } from '../src/jail/host-key.js';
import { OrderedHostMap } from '../src/jail/ordered-host-map.js';
import { parseAddress } from '../src/util/ip-address.js';

function entries(map: OrderedHostMap): [string, number][] {
  const out: [string, number][] = [];
  for (let e = map.first(); e !== -1; e = map.next(e)) out.push([map.keyAt(e), map.valueAt(e)]);
  return out;
}

describe('host keys', () => {
  it('reads canonical dotted quads as their 32-bit value and writes them back', () => {
    expect(ipv4Number('0.0.0.0')).toBe(0);
    expect(ipv4Number('255.255.255.255')).toBe(0xffff_ffff);
    expect(ipv4Number('10.1.2.3')).toBe(0x0a01_0203);
    expect(ipv4Number('192.0.2.10')).toBe(0xc000_020a);
    expect(ipv4Key(0xc000_020a)).toBe('192.0.2.10');
    expect(ipv4Key(0xffff_ffff)).toBe('255.255.255.255');
  });

  it('leaves anything that is not a canonical IPv4 address a string', () => {
    for (const key of [
      '01.2.3.4',
      '1.2.3.04',
      '1.2.3.00',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '1..2.3',
      '.1.2.3',
      '1.2.3.',
      '1.2.3.4/32',
      ' 1.2.3.4',
      '2001:db8::1',
      '::ffff:1.2.3.4',
      'a.b.c.d',
      '1.2.3.4x',
      '1000.2.3.4',
      '1.2.3.1000',
    ])
      expect(ipv4Number(key), key).toBe(-1);
  });

  it('reads every address the way it is written back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (n) => {
        expect(ipv4Number(ipv4Key(n))).toBe(n);
      }),
    );
  });

  it('hashes strings by every character', () => {
    expect(hashString('2001:db8::1')).not.toBe(hashString('2001:db8::2'));
    expect(hashString('ab')).not.toBe(hashString('ba'));
    expect(hashString('x')).toBe(hashString('x'));
  });
});

describe('ipv4Number: the restart fast path agrees with the full parse', () => {
  test.each([
    ['192.0.2.1', true],
    ['0.0.0.0', true],
    ['255.255.255.255', true],
    ['10.0.0.10', true],
    ['192.0.2.01', false],
    ['256.0.0.1', false],
    ['1.2.3', false],
    ['1.2.3.4.5', false],
    ['1..2.3', false],
    [' 1.2.3.4', false],
    ['1.2.3.4 ', false],
    ['1.2.3.4/32', false],
    ['198.51.100.0/24', false],
    ['::ffff:1.2.3.4', false],
    ['2001:db8::1', false],
    ['[1.2.3.4]', false],
    ['1.2.3.-4', false],
    ['', false],
  ])('%j → %s', (text, canonical) => {
    expect(ipv4Number(text) >= 0).toBe(canonical);
    // Whatever it accepts is an IPv4 address written exactly as its canonical form.
    if (canonical) expect(parseAddress(text)).toMatchObject({ family: 4, canonical: text });
    // Asked twice in a row (the remembered answer) and after another key, the same.
    expect(ipv4Number(text) >= 0).toBe(canonical);
    ipv4Number('192.0.2.200');
    expect(ipv4Number(text) >= 0).toBe(canonical);
  });
});

describe('OrderedHostMap', () => {
  it('keeps a numeric key and its string twin apart', () => {
    const m = new OrderedHostMap();
    m.set('1.2.3.4', 1);
    m.set('01.2.3.4', 2);
    m.set('2001:db8::/64', 3);
    expect(m.get('1.2.3.4')).toBe(1);
    expect(m.get('01.2.3.4')).toBe(2);
    expect(m.get('2001:db8::/64')).toBe(3);
    expect(m.get('1.2.3.5')).toBeUndefined();
    expect(entries(m)).toEqual([
      ['1.2.3.4', 1],
      ['01.2.3.4', 2],
      ['2001:db8::/64', 3],
    ]);
  });

  it('keeps first-set order through growth, gaps and compaction, and gives the columns back', () => {
    const m = new OrderedHostMap();
    for (let i = 0; i < 10_000; i++) m.set(ipv4Key(i), i);
    for (let i = 0; i < 10_000; i++) if (i % 10 !== 0) expect(m.delete(ipv4Key(i))).toBe(true);
    expect(m.delete(ipv4Key(1))).toBe(false);
    m.compact();
    expect(m.size).toBe(1000);
    expect(entries(m).map(([, v]) => v)).toEqual(Array.from({ length: 1000 }, (_, i) => i * 10));
    m.set('2001:db8::1', -5);
    expect(m.first()).toBe(0);
    expect(m.keyAt(m.first())).toBe('0.0.0.0');
    m.clear();
    expect(m.size).toBe(0);
    expect(m.first()).toBe(-1);
    expect(m.get('2001:db8::1')).toBeUndefined();
  });

  it('empties without giving the columns back, and is then like a new map', () => {
    const m = new OrderedHostMap();
    for (let i = 0; i < 5000; i++) m.set(i % 7 ? ipv4Key(i) : `2001:db8::${i.toString(16)}`, i);
    const capacity = m.capacity;
    m.empty();
    expect(m.capacity).toBe(capacity);
    expect(m.size).toBe(0);
    expect(m.first()).toBe(-1);
    expect(m.get(ipv4Key(1))).toBeUndefined();
    expect(m.get('2001:db8::0')).toBeUndefined();
    m.set('2001:db8::1', 1);
    m.set(ipv4Key(3), 3);
    expect(entries(m)).toEqual([
      ['2001:db8::1', 1],
      [ipv4Key(3), 3],
    ]);
  });

  it('keeps a fixed number of keys coming and going in the same columns (compacted in place), in order', () => {
    const m = new OrderedHostMap();
    const churn = (from: number, to: number) => {
      // The oldest goes for each new one, as RecentMatches does: the columns fill with gaps again and again.
      for (let i = from; i < to; i++) {
        m.deleteAt(m.first());
        m.set(i % 5 ? ipv4Key(i) : `k${i}`, i);
      }
    };
    for (let i = 0; i < 1000; i++) m.set(i % 5 ? ipv4Key(i) : `k${i}`, i);
    churn(1000, 3000); // grown once, to at least twice the keys held
    const capacity = m.capacity;
    expect(capacity).toBe(2048);
    churn(3000, 20_000);
    expect(m.capacity).toBe(capacity);
    expect(m.size).toBe(1000);
    expect(entries(m).map(([, v]) => v)).toEqual(Array.from({ length: 1000 }, (_, i) => 19_000 + i));
    expect(m.get('k19995')).toBe(19_995);
    expect(m.get(ipv4Key(19_999))).toBe(19_999);
    expect(m.get(ipv4Key(18_999))).toBeUndefined();
  });

  it('lets a visit delete the entry it is on', () => {
    const m = new OrderedHostMap();
    for (let i = 0; i < 100; i++) m.set(i % 2 ? ipv4Key(i) : `k${i}`, i);
    for (let e = m.first(); e !== -1; e = m.next(e)) if (m.valueAt(e) % 3 === 0) m.deleteAt(e);
    expect(entries(m).map(([, v]) => v)).toEqual(
      Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0),
    );
  });

  it('answers as a Map does, whatever is set and deleted in whatever order', () => {
    const key = fc.oneof(
      fc.integer({ min: 0, max: 200 }).map((n) => ipv4Key(0x0a00_0000 + n)),
      fc.integer({ min: 0, max: 60 }).map((n) => `2001:db8::${n.toString(16)}`),
      fc.constantFrom('01.2.3.4', '10.0.0.0/24', '0.0.0.0', '255.255.255.255'),
    );
    const op = fc.oneof(
      {
        arbitrary: fc.tuple(fc.constant('set' as const), key, fc.integer({ min: -1000, max: 1000 })),
        weight: 6,
      },
      { arbitrary: fc.tuple(fc.constant('delete' as const), key, fc.constant(0)), weight: 3 },
      { arbitrary: fc.tuple(fc.constant('compact' as const), fc.constant(''), fc.constant(0)), weight: 1 },
      { arbitrary: fc.tuple(fc.constant('empty' as const), fc.constant(''), fc.constant(0)), weight: 1 },
      { arbitrary: fc.tuple(fc.constant('mark' as const), key, fc.constant(0)), weight: 2 },
      { arbitrary: fc.tuple(fc.constant('unmark' as const), fc.constant(''), fc.constant(0)), weight: 1 },
      {
        arbitrary: fc.tuple(fc.constant('evict' as const), fc.constant(''), fc.integer({ min: 1, max: 20 })),
        weight: 1,
      },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 600 }), (ops) => {
        const m = new OrderedHostMap();
        const ref = new Map<string, number>();
        // Marks go with their entry through growth and compaction; a deleted or new entry has none.
        const marked = new Set<string>();
        for (const [name, k, v] of ops) {
          if (name === 'set') {
            m.set(k, v);
            ref.set(k, v);
          } else if (name === 'delete') {
            expect(m.delete(k)).toBe(ref.delete(k));
            marked.delete(k);
          } else if (name === 'compact') m.compact();
          else if (name === 'empty') {
            m.empty();
            ref.clear();
            marked.clear();
          } else if (name === 'mark') {
            const e = m.find(k);
            if (e !== -1) {
              m.mark(e);
              marked.add(k);
            }
          } else if (name === 'unmark') {
            m.clearMarks();
            marked.clear();
          }
          else {
            // The global cap's way: drop the first entries.
            for (let n = 0; n < v && m.first() !== -1; n++) {
              const e = m.first();
              ref.delete(m.keyAt(e));
              marked.delete(m.keyAt(e));
              m.deleteAt(e);
            }
          }
          expect(m.size).toBe(ref.size);
          if (name !== 'compact' && name !== 'empty' && name !== 'unmark') expect(m.get(k)).toBe(ref.get(k));
          expect(entries(m).filter((_, i, all) => m.isMarked(m.find(all[i]![0]))).map(([key]) => key)).toEqual(
            [...ref.keys()].filter((key) => marked.has(key)),
          );
          if (marked.size) expect(m.hasMarks).toBe(true);
        }
        expect(entries(m)).toEqual([...ref]);
        for (const k of ref.keys()) expect(m.has(k)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('tells its owner how entries moved, so columns kept beside it stay with their keys', () => {
    const key = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map((n) => ipv4Key(0x0a00_0000 + n)),
      fc.integer({ min: 0, max: 40 }).map((n) => `2001:db8::${n.toString(16)}`),
    );
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.constant('set' as const), key) },
      { weight: 4, arbitrary: fc.tuple(fc.constant('delete' as const), key) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('compact' as const), key) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 800 }), (ops) => {
        // The owner's column: the key each entry holds, moved as the map says.
        let column: (string | undefined)[] = new Array(64);
        const m = new OrderedHostMap((order, capacity) => {
          const next = new Array<string | undefined>(capacity);
          if (order === undefined) for (let e = 0; e < column.length; e++) next[e] = column[e];
          else for (let e = 0; e < order.length; e++) next[e] = column[order[e]!];
          column = next;
        });
        for (const [name, k] of ops) {
          if (name === 'set') {
            const e = m.set(k, 1);
            expect(m.find(k)).toBe(e);
            column[e] = k;
          } else if (name === 'delete') m.delete(k);
          else m.compact();
          expect(column.length).toBe(m.capacity);
        }
        for (let e = m.first(); e !== -1; e = m.next(e)) expect(column[e]).toBe(m.keyAt(e));
      }),
      { numRuns: 200 },
    );
  });

  it('walks a cursor through growth, compaction and clear: what stays is visited once, in order', () => {
    const m = new OrderedHostMap();
    for (let i = 0; i < 200; i++) m.set(ipv4Key(i), i);
    const cursor = m.cursor();
    const seen: number[] = [];
    const step = () => {
      const e = m.advance(cursor);
      if (e !== -1) seen.push(m.valueAt(e));
      return e;
    };
    for (let n = 0; n < 20; n++) step();
    // Most of the rest lifted and the columns compacted (renumbered), then a flood appended (grown, renumbered again).
    for (let i = 0; i < 200; i++) if (i % 4 !== 0) m.delete(ipv4Key(i));
    m.compact();
    for (let n = 0; n < 5; n++) step();
    for (let i = 200; i < 2000; i++) m.set(i % 3 ? ipv4Key(i) : `k${i}`, i);
    while (step() !== -1);
    expect(seen).toEqual([
      ...Array.from({ length: 20 }, (_, i) => i),
      ...Array.from({ length: 180 }, (_, k) => 20 + k).filter((i) => i % 4 === 0),
      ...Array.from({ length: 1800 }, (_, k) => 200 + k),
    ]);
    // A finished cursor stays finished; one made before a clear goes on with what is set after it.
    expect(m.advance(cursor)).toBe(-1);
    const early = m.cursor();
    m.advance(early);
    m.clear();
    m.set('10.0.0.1', 1);
    expect(m.keyAt(m.advance(early))).toBe('10.0.0.1');
    expect(m.advance(early)).toBe(-1);
  });
});
