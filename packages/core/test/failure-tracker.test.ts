import { describe, expect, it } from 'vitest';
import { FailureTracker } from '../src/failure-tracker.js';

describe('FailureTracker', () => {
  it('bans on the maxretry-th failure inside findtime and clears the host', () => {
    const t = new FailureTracker({ findtime: 60_000, maxretry: 3 });
    expect(t.add('192.0.2.1', 0)).toEqual({ count: 1, ban: false });
    expect(t.add('192.0.2.1', 10_000)).toEqual({ count: 2, ban: false });
    expect(t.add('192.0.2.1', 20_000)).toEqual({ count: 3, ban: true });
    expect(t.count('192.0.2.1', 20_000)).toBe(0);
    expect(t.size).toBe(0);
  });

  it('slides the window: failures older than findtime drop out', () => {
    const t = new FailureTracker({ findtime: 60_000, maxretry: 3 });
    t.add('h', 0);
    t.add('h', 30_000);
    expect(t.add('h', 61_000)).toEqual({ count: 2, ban: false });
    expect(t.add('h', 200_000)).toEqual({ count: 1, ban: false });
    expect(t.add('h', 210_000).ban).toBe(false);
    expect(t.add('h', 220_000).ban).toBe(true);
  });

  it('keeps hosts apart and expires stale state in update order', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 5 });
    t.add('a', 0);
    t.add('b', 500);
    t.add('a', 900);
    expect(t.expire(1600)).toBe(1);
    expect(t.count('a', 1600)).toBe(1);
    expect(t.count('b', 1600)).toBe(0);
    expect(t.expire(5000)).toBe(1);
    expect(t.size).toBe(0);
  });

  it('stays bounded with a million hosts failing once each', () => {
    const t = new FailureTracker({ findtime: 600_000, maxretry: 5 });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) t.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i);
    const perHost = (process.memoryUsage().heapUsed - before) / 1_000_000;
    expect(t.size).toBe(1_000_000);
    // One Map entry with a number and the key string; measured ~90 bytes, allow GC noise.
    expect(perHost).toBeLessThan(250);
    expect(t.expire(1_000_000 + 600_000)).toBe(1_000_000);
    expect(t.size).toBe(0);
  });
});
