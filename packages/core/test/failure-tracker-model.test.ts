// FailureTracker against the simplest model of fail2ban's rule: per host, the list of its failure times,
// in a Map kept in first-seen order. Every operation a jail makes, in any order, on IPv4 hosts (held as
// numbers), IPv6 hosts and prefixes (held as strings) and keys that only look like addresses.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureTracker } from '../src/jail/failure-tracker.js';

const FINDTIME = 1000;

class Model {
  readonly hosts = new Map<string, number[]>();
  constructor(private readonly maxretry: number) {}

  add(host: string, time: number): { count: number; ban: boolean } {
    const times = (this.hosts.get(host) ?? []).filter((t) => t > time - FINDTIME);
    times.push(time);
    if (times.length >= this.maxretry) {
      this.hosts.delete(host);
      return { count: times.length, ban: true };
    }
    // A Map keeps a key where it was first set, as the tracker does.
    this.hosts.set(host, times);
    return { count: times.length, ban: false };
  }

  count(host: string, now: number): number {
    return (this.hosts.get(host) ?? []).filter((t) => t > now - FINDTIME).length;
  }

  expire(now: number): number {
    let n = 0;
    for (const [host, times] of this.hosts)
      if (times[times.length - 1]! <= now - FINDTIME) {
        this.hosts.delete(host);
        n++;
      }
    return n;
  }

  evictOldest(n: number): number {
    let gone = 0;
    for (const host of this.hosts.keys()) {
      if (gone >= n) break;
      this.hosts.delete(host);
      gone++;
    }
    return gone;
  }

  oldest(): number {
    for (const times of this.hosts.values()) return times[0]!;
    return Number.POSITIVE_INFINITY;
  }
}

const host = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((n) => `192.0.2.${n}`),
  fc.integer({ min: 0, max: 15 }).map((n) => `2001:db8::${n.toString(16)}`),
  fc.constantFrom(
    '2001:db8:1::/64',
    '198.51.100.0/24',
    '0.0.0.0',
    '255.255.255.255',
    '192.0.2.01',
    '192.0.2.1 ',
  ),
);
type Op = ['add' | 'count' | 'forget' | 'expire' | 'evict' | 'changes', string, number];
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.tuple(fc.constant('add' as const), host, fc.integer({ min: 0, max: 400 })), weight: 12 },
  { arbitrary: fc.tuple(fc.constant('count' as const), host, fc.constant(0)), weight: 2 },
  { arbitrary: fc.tuple(fc.constant('forget' as const), host, fc.constant(0)), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constant('expire' as const), fc.constant(''), fc.integer({ min: 0, max: 2000 })),
    weight: 1,
  },
  {
    arbitrary: fc.tuple(fc.constant('evict' as const), fc.constant(''), fc.integer({ min: 1, max: 5 })),
    weight: 1,
  },
  { arbitrary: fc.tuple(fc.constant('changes' as const), fc.constant(''), fc.constant(0)), weight: 1 },
);

describe('FailureTracker against a model of per-host time lists', () => {
  it('counts, bans, expires, evicts, snapshots and reports changes as the model does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 300 }), (maxretry, ops) => {
        const t = new FailureTracker({ findtime: FINDTIME, maxretry });
        const m = new Model(maxretry);
        t.trackChanges();
        const changed = new Set<string>();
        // Time only moves forward, as a jail's clock does; each op advances it by its number.
        let now = 0;
        for (const [name, key, n] of ops) {
          if (name === 'add') {
            now += n;
            expect(t.add(key, now)).toEqual(m.add(key, now));
            changed.add(key);
          } else if (name === 'count') expect(t.count(key, now)).toBe(m.count(key, now));
          else if (name === 'forget') {
            if (m.hosts.delete(key)) changed.add(key);
            t.forget(key);
          } else if (name === 'expire') {
            now += n;
            const before = new Set(m.hosts.keys());
            expect(t.expire(now)).toBe(m.expire(now));
            for (const k of before) if (!m.hosts.has(k)) changed.add(k);
          } else if (name === 'evict') expect(t.evictOldest(n)).toBe(m.evictOldest(n));
          else {
            const got = t.takeChanges();
            expect(new Map(got.map((h) => [h.host, h.times]))).toEqual(
              new Map([...changed].map((k) => [k, m.hosts.get(k) ?? []])),
            );
            changed.clear();
          }
          expect(t.size).toBe(m.hosts.size);
          expect(t.oldest()).toBe(m.oldest());
        }
        expect(t.snapshot()).toEqual([...m.hosts].map(([h, times]) => ({ host: h, times })));
      }),
      { numRuns: 300 },
    );
  });

  it('holds a flood of IPv4 hosts as the model does once most of them expired', () => {
    const t = new FailureTracker({ findtime: FINDTIME, maxretry: 3 });
    const m = new Model(3);
    for (let i = 0; i < 5000; i++) {
      const key = `10.0.${i >> 8}.${i & 255}`;
      expect(t.add(key, i % 7 === 0 ? 5000 : 0)).toEqual(m.add(key, i % 7 === 0 ? 5000 : 0));
    }
    expect(t.expire(5500)).toBe(m.expire(5500));
    expect(t.add('10.0.0.7', 5600)).toEqual(m.add('10.0.0.7', 5600));
    expect(t.snapshot()).toEqual([...m.hosts].map(([h, times]) => ({ host: h, times })));
  });
});

describe('FailureTracker state put back or reshaped', () => {
  it('restores several hosts with several failures each, each with its own times', () => {
    const t = new FailureTracker({ findtime: FINDTIME, maxretry: 5 });
    const hosts = ['192.0.2.1', '192.0.2.2', '2001:db8::1', '192.0.2.3'];
    for (const [i, h] of hosts.entries()) t.restore(h, [100 + i, 200 + i, 300 + i], 500);
    expect(t.snapshot()).toEqual(hosts.map((h, i) => ({ host: h, times: [100 + i, 200 + i, 300 + i] })));
    // One more failure each: the fourth, no ban yet; the fifth bans.
    for (const [i, h] of hosts.entries()) expect(t.add(h, 600 + i)).toEqual({ count: 4, ban: false });
    for (const h of hosts) expect(t.add(h, 700)).toEqual({ count: 5, ban: true });
    expect(t.size).toBe(0);
  });

  it('keeps hosts with one failure and hosts with several apart when maxretry changes', () => {
    const t = new FailureTracker({ findtime: FINDTIME, maxretry: 5 });
    t.add('192.0.2.1', 10);
    t.add('192.0.2.2', 20);
    t.add('192.0.2.2', 30);
    t.add('192.0.2.3', 40);
    t.configure({ findtime: FINDTIME, maxretry: 4 });
    expect(t.snapshot()).toEqual([
      { host: '192.0.2.1', times: [10] },
      { host: '192.0.2.2', times: [20, 30] },
      { host: '192.0.2.3', times: [40] },
    ]);
    expect(t.count('192.0.2.1', 50)).toBe(1);
    expect(t.add('192.0.2.3', 50)).toEqual({ count: 2, ban: false });
  });
});
