import { describe, expect, test } from 'vitest';
import { MatchRing, RecentMatches } from '../src/jail/recent-matches.js';

describe('RecentMatches', () => {
  test('lines oldest first, at most six per host, users once each, hosts apart', () => {
    const m = new RecentMatches();
    for (let i = 0; i < 8; i++) m.add('192.0.2.1', `line ${i}`, i % 2 ? 'root' : 'admin', 1000 + i);
    m.add('192.0.2.2', 'other', undefined, 1000);
    expect(m.take('192.0.2.1')).toEqual({ lines: ['line 2', 'line 3', 'line 4', 'line 5', 'line 6', 'line 7'], users: ['admin', 'root'] });
    expect(m.take('192.0.2.1')).toEqual({ lines: [], users: [] });
    expect(m.take('192.0.2.2')).toEqual({ lines: ['other'], users: [] });
  });

  test('text round-trips as UTF-8; long lines are cut', () => {
    const m = new RecentMatches();
    m.add('h', 'caf\u00e9 \u2603 \ud83d\ude00', 'j\u00fcrgen', 1);
    m.add('h', 'x'.repeat(5000), undefined, 2);
    const { lines, users } = m.take('h');
    expect(lines[0]).toBe('caf\u00e9 \u2603 \ud83d\ude00');
    expect(lines[1]).toBe(`${'x'.repeat(1000)}\u2026`);
    expect(users).toEqual(['j\u00fcrgen']);
  });

  test('a flood overwrites old lines; the newest line of a host is always there', () => {
    const ring = new MatchRing(4096);
    const a = new RecentMatches(ring);
    const b = new RecentMatches(ring);
    a.add('192.0.2.1', 'first of a', 'u', 1);
    for (let i = 0; i < 200; i++) b.add(`198.51.100.${i % 250}`, `flood line ${i} ${'-'.repeat(40)}`, 'v', 2);
    a.add('192.0.2.1', 'last of a', 'w', 3);
    expect(a.take('192.0.2.1')).toEqual({ lines: ['last of a'], users: ['w'] });
    // The newest flood lines are intact, each with its own host.
    expect(b.take('198.51.100.199')).toEqual({ lines: [`flood line 199 ${'-'.repeat(40)}`], users: ['v'] });
  });

  test('hosts not seen since a time are dropped; at most 10,000 hosts keep lines', () => {
    const m = new RecentMatches();
    m.add('old', 'a', undefined, 100);
    m.add('new', 'b', undefined, 300);
    m.add('old2', 'c', undefined, 100);
    m.expire(200);
    expect(m.take('old').lines).toEqual([]);
    expect(m.take('old2').lines).toEqual([]);
    expect(m.take('new').lines).toEqual(['b']);
    for (let i = 0; i <= 10_000; i++) m.add(`h${i}`, `l${i}`, undefined, 1);
    expect(m.take('h0').lines).toEqual([]);
    expect(m.take('h10000').lines).toEqual(['l10000']);
  });

  test('a flood of new hosts keeps the lines of the newest 10,000, IPv4 and prefixes alike', () => {
    const m = new RecentMatches();
    const host = (i: number) => (i % 3 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `2001:db8:${i.toString(16)}::/64`);
    for (let i = 0; i < 50_000; i++) m.add(host(i), `line ${i}`, 'root', i);
    expect(m.take(host(39_999))).toEqual({ lines: [], users: [] });
    expect(m.take(host(40_000))).toEqual({ lines: ['line 40000'], users: ['root'] });
    expect(m.take(host(49_999))).toEqual({ lines: ['line 49999'], users: ['root'] });
    m.expire(45_000);
    expect(m.take(host(44_999)).lines).toEqual([]);
    expect(m.take(host(45_001)).lines).toEqual(['line 45001']);
  });
});
