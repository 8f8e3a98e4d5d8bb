import { describe, expect, it } from 'vitest';
import { SlotPool } from '../src/util/slot-pool.js';

describe('SlotPool', () => {
  it('asks for room when empty, then hands out fresh slots in order', () => {
    const pool = new SlotPool();
    expect(pool.take()).toBe(-1);
    pool.grow(3);
    expect([pool.take(), pool.take(), pool.take()]).toEqual([0, 1, 2]);
    expect(pool.take()).toBe(-1);
    expect(pool.inUse).toBe(3);
  });

  it('reuses given-back slots first, newest first, and keeps them across growth', () => {
    const pool = new SlotPool();
    pool.grow(4);
    for (let k = 0; k < 4; k++) pool.take();
    pool.give(1);
    pool.give(3);
    expect(pool.inUse).toBe(2);
    pool.grow(8);
    expect(pool.take()).toBe(3);
    expect(pool.take()).toBe(1);
    expect(pool.take()).toBe(4);
    expect(pool.inUse).toBe(5);
  });

  it('after a reset hands out the slots after the ones kept', () => {
    const pool = new SlotPool();
    pool.grow(64);
    for (let k = 0; k < 40; k++) pool.take();
    for (let k = 0; k < 30; k++) pool.give(k);
    pool.reset(16, 10);
    expect(pool.inUse).toBe(10);
    expect(pool.capacity).toBe(16);
    expect(pool.take()).toBe(10);
  });
});
