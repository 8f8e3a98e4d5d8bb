import { describe, expect, it } from 'vitest';
import { FailureTracker } from '../src/jail/failure-tracker.js';

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

  it('stays bounded with a million hosts failing once each', { timeout: 60_000 }, () => {
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

  it('reuses and gives back slots of hosts with several failures', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 4 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 500; i++) t.add(`h${i}`, round * 10_000 + 1);
      for (let i = 0; i < 500; i++)
        expect(t.add(`h${i}`, round * 10_000 + 2)).toEqual({ count: 2, ban: false });
      for (let i = 0; i < 250; i++) t.add(`h${i}`, round * 10_000 + 3);
      for (let i = 0; i < 250; i++)
        expect(t.add(`h${i}`, round * 10_000 + 4)).toEqual({ count: 4, ban: true });
      expect(t.size).toBe(250);
      expect(t.count('h300', round * 10_000 + 4)).toBe(2);
      expect(t.expire(round * 10_000 + 5000)).toBe(250);
      expect(t.size).toBe(0);
    }
    t.add('x', 1);
    t.add('x', 2);
    t.forget('x');
    expect(t.add('x', 3)).toEqual({ count: 1, ban: false });
  });

  it('keeps each host its newest times when maxretry changes', () => {
    const t = new FailureTracker({ findtime: 60_000, maxretry: 5 });
    for (const time of [1, 2, 3, 4]) t.add('a', time);
    t.add('b', 1);
    t.add('b', 2);
    t.configure({ findtime: 60_000, maxretry: 3 });
    expect(t.count('a', 10)).toBe(3);
    expect(t.add('b', 3)).toEqual({ count: 3, ban: true });
    expect(t.add('a', 5)).toEqual({ count: 3, ban: true });
    t.add('c', 1);
    t.add('c', 2);
    t.configure({ findtime: 60_000, maxretry: 6 });
    for (const time of [3, 4, 5]) expect(t.add('c', time).ban).toBe(false);
    expect(t.add('c', 6)).toEqual({ count: 6, ban: true });
  });

  it('drops failures that left the window from a host with several', () => {
    const t = new FailureTracker({ findtime: 100, maxretry: 4 });
    t.add('h', 0);
    t.add('h', 50);
    t.add('h', 90);
    expect(t.add('h', 140)).toEqual({ count: 3, ban: false });
    expect(t.add('h', 400)).toEqual({ count: 1, ban: false });
    expect(t.add('h', 410)).toEqual({ count: 2, ban: false });
  });

  // The window is half-open: a failure counts while now − t < findtime, so one exactly findtime old is out.
  it('does not count a single failure exactly findtime old, and counts one a millisecond younger', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 2 });
    t.add('old', 5000);
    expect(t.count('old', 6000)).toBe(0);
    expect(t.count('old', 5999)).toBe(1);
    expect(t.add('old', 6000)).toEqual({ count: 1, ban: false });
    t.add('young', 5000);
    expect(t.add('young', 5999)).toEqual({ count: 2, ban: true });
  });

  it('drops the failures exactly findtime old from a host with several', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 3 });
    t.add('h', 5000);
    t.add('h', 5500);
    expect(t.count('h', 6000)).toBe(1);
    expect(t.count('h', 5999)).toBe(2);
    expect(t.add('h', 6000)).toEqual({ count: 2, ban: false });
    expect(t.add('h', 6499)).toEqual({ count: 3, ban: true });
    const u = new FailureTracker({ findtime: 1000, maxretry: 3 });
    u.add('h', 5000);
    u.add('h', 5500);
    expect(u.add('h', 5999)).toEqual({ count: 3, ban: true });
  });
});

describe('FailureTracker slab: many hosts with several failures at once', () => {
  const host = (i: number) => `10.0.${i >> 8}.${i & 255}`;

  it('keeps each host its own times across slots, growth and counts', () => {
    const t = new FailureTracker({ findtime: 10_000, maxretry: 4 });
    // 300 hosts interleaved: 1,500 slots' worth of growth from the 64 the slab starts with.
    for (let round = 0; round < 3; round++) for (let i = 0; i < 300; i++) t.add(host(i), 1000 + round * 100 + i);
    expect(t.total).toBe(900);
    expect(t.size).toBe(300);
    for (const i of [0, 1, 63, 64, 65, 150, 299]) {
      expect(t.count(host(i), 1300 + i), host(i)).toBe(3);
      expect(t.snapshot().find((h) => h.host === host(i))!.times).toEqual([1000 + i, 1100 + i, 1200 + i]);
    }
    // The fourth failure bans exactly the host it belongs to.
    expect(t.add(host(150), 1400)).toEqual({ count: 4, ban: true });
    expect(t.count(host(150), 1400)).toBe(0);
    expect(t.count(host(151), 1400)).toBe(3);
    expect(t.add(host(151), 1400)).toEqual({ count: 4, ban: true });
  });

  it('gives the slab back after a flood and keeps the times of the hosts still failing', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 3 });
    t.trackChanges();
    for (let i = 0; i < 400; i++) {
      t.add(host(i), 1000);
      t.add(host(i), 1001);
    }
    t.add('kept', 1500);
    t.add('kept', 1600);
    t.add('other', 1700);
    t.add('other', 1750);
    t.takeChanges();
    expect(t.expire(2001)).toBe(400);
    expect(t.size).toBe(2);
    expect(t.takeChanges()).toHaveLength(400);
    expect(t.snapshot()).toEqual([
      { host: 'kept', times: [1500, 1600] },
      { host: 'other', times: [1700, 1750] },
    ]);
    expect(t.add('other', 1800)).toEqual({ count: 3, ban: true });
    for (let i = 0; i < 100; i++) {
      t.add(host(i), 2100);
      t.add(host(i), 2101);
    }
    expect(t.add('kept', 2550)).toEqual({ count: 2, ban: false });
    expect(t.snapshot().find((h) => h.host === 'kept')!.times).toEqual([1600, 2550]);
    expect(t.count(host(99), 2102)).toBe(2);
  });

  it('keeps every host its times when maxretry changes with many hosts held', () => {
    const t = new FailureTracker({ findtime: 10_000, maxretry: 5 });
    for (let i = 0; i < 100; i++) for (let k = 0; k < 3; k++) t.add(host(i), 1000 + k);
    t.configure({ findtime: 10_000, maxretry: 4 });
    for (const i of [0, 70, 99]) expect(t.snapshot().find((h) => h.host === host(i))!.times).toEqual([1000, 1001, 1002]);
    expect(t.add(host(70), 1003)).toEqual({ count: 4, ban: true });
    t.configure({ findtime: 10_000, maxretry: 2 });
    expect(t.snapshot().find((h) => h.host === host(99))!.times).toEqual([1001, 1002]);
  });

  it('handles failures at the epoch, negative and NaN times (counted as the epoch)', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 3 });
    t.add('e', 0);
    expect(t.count('e', 500)).toBe(1);
    expect(t.snapshot()).toEqual([{ host: 'e', times: [0] }]);
    t.add('e', Number.NaN);
    t.add('n', -5);
    expect(t.snapshot()).toEqual([
      { host: 'e', times: [0, 0] },
      { host: 'n', times: [0] },
    ]);
    expect(t.count('e', 999)).toBe(2);
    t.forget('n');
    t.forget('nobody');
    expect(t.expire(999)).toBe(0);
    expect(t.expire(1000)).toBe(1);
    expect(t.size).toBe(0);
  });

  it('forgets hosts of either kind without disturbing the others', () => {
    const t = new FailureTracker({ findtime: 10_000, maxretry: 3 });
    t.add('single', 5000);
    t.add('multi', 5000);
    t.add('multi', 5001);
    t.forget('single');
    t.forget('multi');
    for (let i = 0; i < 3; i++) {
      t.add('a', 6000 + i);
      t.add('b', 6000 + i);
    }
    expect(t.size).toBe(0);
    t.add('c', 7000);
    t.add('c', 7001);
    t.add('d', 7000);
    t.add('d', 7002);
    expect(t.snapshot()).toEqual([
      { host: 'c', times: [7000, 7001] },
      { host: 'd', times: [7000, 7002] },
    ]);
  });

  it('evicts exactly the n hosts seen first', () => {
    const t = new FailureTracker({ findtime: 10_000, maxretry: 3 });
    t.add('first', 1);
    t.add('first', 2);
    t.add('second', 3);
    t.add('third', 4);
    t.add('third', 5);
    expect(t.evictOldest(2)).toBe(2);
    expect(t.snapshot()).toEqual([{ host: 'third', times: [4, 5] }]);
    expect(t.evictOldest(5)).toBe(1);
    expect(t.evictOldest(1)).toBe(0);
    t.add('x', 6);
    t.add('x', 7);
    expect(t.snapshot()).toEqual([{ host: 'x', times: [6, 7] }]);
  });

  it('restores only times inside the window and not in the future, the newest ones, in order', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 4 });
    t.restore('h', [1900, 1000, 1500, 1200, 2001], 2000);
    expect(t.snapshot()).toEqual([{ host: 'h', times: [1200, 1500, 1900] }]);
    t.restore('one', [1001, 999], 2000);
    expect(t.snapshot().find((x) => x.host === 'one')!.times).toEqual([1001]);
    t.restore('edge', [1000, 2000], 2000);
    expect(t.snapshot().find((x) => x.host === 'edge')!.times).toEqual([2000]);
    t.restore('none', [10, 20], 2000);
    expect(t.snapshot().some((x) => x.host === 'none')).toBe(false);
    expect(t.total).toBe(0);
  });
});

describe('FailureTracker changes, snapshot and restore', () => {
  it('reports the hosts that changed since the last call, with the times they hold (none once forgotten)', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 3 });
    t.add('a', 10);
    expect(t.takeChanges()).toEqual([]); // not tracking yet: nothing kept
    t.trackChanges();
    t.add('a', 20);
    t.add('b', 30);
    expect(t.takeChanges()).toEqual([
      { host: 'a', times: [10, 20] },
      { host: 'b', times: [30] },
    ]);
    expect(t.takeChanges()).toEqual([]);
    t.add('a', 40); // third failure: banned, so forgotten
    t.expire(2000); // b leaves the window
    expect(t.takeChanges()).toEqual([
      { host: 'a', times: [] },
      { host: 'b', times: [] },
    ]);
  });

  it('reports changes save after save through a flood and after it, each host once, IPv4 and prefixes alike', () => {
    const t = new FailureTracker({ findtime: 3_600_000, maxretry: 5 });
    t.trackChanges();
    for (let round = 0; round < 3; round++) {
      // A second's worth of new hosts, some failing twice, then one save.
      for (let i = 0; i < 20_000; i++) t.add(`10.${round}.${i >> 8}.${i & 255}`, round * 1000 + 1);
      for (let i = 0; i < 100; i++) t.add(`10.${round}.0.${i}`, round * 1000 + 2);
      t.add(`2001:db8:${round}::/64`, round * 1000 + 3);
      const changes = t.takeChanges();
      expect(changes).toHaveLength(20_001);
      expect(new Set(changes.map((c) => c.host)).size).toBe(20_001);
      expect(changes[0]).toEqual({ host: `10.${round}.0.0`, times: [round * 1000 + 1, round * 1000 + 2] });
      expect(changes[20_000]).toEqual({ host: `2001:db8:${round}::/64`, times: [round * 1000 + 3] });
    }
    // The flood is over: a quiet second reports just its host, then nothing.
    t.add('192.0.2.1', 5000);
    expect(t.takeChanges()).toEqual([{ host: '192.0.2.1', times: [5000] }]);
    expect(t.takeChanges()).toEqual([]);
    expect(t.size).toBe(60_004);
  });

  it('restores saved failures inside the window, at most maxretry − 1, so one more failure bans', () => {
    const t = new FailureTracker({ findtime: 1000, maxretry: 3 });
    t.trackChanges();
    t.restore('a', [100, 5000, 5100, 5200], 5500);
    t.restore('b', [100], 5500); // outside the window
    t.restore('c', [5400], 5500);
    expect(t.snapshot()).toEqual([
      { host: 'a', times: [5100, 5200] },
      { host: 'c', times: [5400] },
    ]);
    expect(t.takeChanges()).toEqual([]); // restoring is not a change to save again
    expect(t.total).toBe(0);
    expect(t.add('a', 5600)).toEqual({ count: 3, ban: true });
    expect(t.add('c', 5600)).toEqual({ count: 2, ban: false });
    const one = new FailureTracker({ findtime: 1000, maxretry: 1 });
    one.restore('a', [5400], 5500);
    expect(one.size).toBe(0);
  });
});
