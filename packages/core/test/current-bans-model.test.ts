// CurrentBans against a plain Map of tickets: every field of every kind of ban (address or network, IPv4 or
// IPv6, each reason, a fleet node's origin, bans that never end) through every way the runtime reads them,
// while bans are made, replaced and lifted in any order (the typed arrays grow, reuse slots and shrink).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { CurrentBans } from '../src/jail/current-bans.js';

const REASONS = ['failures', 'manual', 'restore', 'subnet', 'campaign', undefined] as const;

const ticket: fc.Arbitrary<BanTicket> = fc
  .record({
    n: fc.integer({ min: 0, max: 120 }),
    six: fc.boolean(),
    prefix: fc.option(fc.integer({ min: 1, max: 127 }), { nil: undefined }),
    time: fc.integer({ min: 0, max: 2 ** 45 }),
    bantime: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 2 ** 40 })),
    failures: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    banCount: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    reason: fc.constantFrom(...REASONS),
    origin: fc.option(fc.constantFrom('node-a', 'node-b'), { nil: undefined }),
  })
  .map(({ n, six, prefix, time, bantime, failures, banCount, reason, origin }) => ({
    ip: six ? `2001:db8::${n.toString(16)}` : `10.0.0.${n}`,
    family: six ? 6 : 4,
    prefix: six ? prefix : prefix === undefined ? undefined : Math.min(prefix, 31),
    jail: 'sshd',
    time,
    bantime,
    expires: bantime === -1 ? Number.POSITIVE_INFINITY : time + bantime,
    failures,
    banCount,
    matches: ['a line'],
    users: ['root'],
    reason,
    origin,
  }));

/** What CurrentBans gives back for a ban it holds: the ticket without its lines and users. */
const held = (t: BanTicket, reason: BanTicket['reason'] = t.reason): BanTicket => ({
  ...t,
  matches: [],
  users: undefined,
  reason,
});

describe('CurrentBans against a Map of tickets', () => {
  it('gives back every field of every ban, by each reading, through growth, replacement and lifting', () => {
    const op = fc.oneof(
      { arbitrary: ticket.map((t) => ['set', t] as const), weight: 4 },
      { arbitrary: ticket.map((t) => ['delete', t] as const), weight: 2 },
      { arbitrary: ticket.map((t) => ['take', t] as const), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const bans = new CurrentBans('sshd');
        const ref = new Map<string, BanTicket>();
        for (const [name, t] of ops) {
          if (name === 'set') {
            bans.set(t);
            ref.set(t.ip, t);
          } else if (name === 'delete') expect(bans.delete(t.ip)).toBe(ref.delete(t.ip));
          else {
            const was = ref.get(t.ip);
            expect(bans.take(t.ip)).toEqual(was && held(was));
            ref.delete(t.ip);
          }
          expect(bans.size).toBe(ref.size);
          expect(bans.has(t.ip)).toBe(ref.has(t.ip));
          expect(bans.expires(t.ip)).toBe(ref.get(t.ip)?.expires);
        }
        const expected = [...ref.values()].map((t) => held(t));
        expect(bans.all()).toEqual(expected);
        expect([...bans.tickets()]).toEqual(expected);
        expect(bans.ips()).toEqual([...ref.keys()]);
        for (const t of ref.values()) {
          expect(bans.get(t.ip)).toEqual(held(t));
          expect(bans.get(t.ip, 'restore')).toEqual(held(t, 'restore'));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a ban whose reason it does not know as one without a reason', () => {
    const bans = new CurrentBans('sshd');
    const t: BanTicket = {
      ip: '10.0.0.1',
      family: 4,
      jail: 'sshd',
      time: 1,
      bantime: 2,
      expires: 3,
      failures: 4,
      banCount: 5,
      matches: [],
      users: undefined,
      reason: 'odd' as BanTicket['reason'],
    };
    bans.set(t);
    expect(bans.get('10.0.0.1')).toEqual({ ...t, reason: undefined, prefix: undefined, origin: undefined });
    // A ban made meanwhile on another node keeps that node until the ban is replaced by one of this node.
    bans.set({ ...t, origin: 'node-b' });
    expect(bans.get('10.0.0.1')?.origin).toBe('node-b');
    bans.set(t);
    expect(bans.get('10.0.0.1')?.origin).toBeUndefined();
    bans.set({ ...t, origin: 'node-b' });
    bans.delete('10.0.0.1');
    bans.set(t);
    expect([...bans.tickets()][0]?.origin).toBeUndefined();
  });
});
