import { describe, expect, it } from 'vitest';
import { releaseMemory } from '../src/util/release-memory.js';

describe('releaseMemory', () => {
  it('detaches large arrays (every view reads as empty) and leaves small ones to the GC', () => {
    const big = new Float64Array(1 << 16).fill(1);
    const view = big.subarray(10, 20);
    const bigToo = new Int32Array(1 << 15);
    const small = new Uint32Array(16).fill(7);
    releaseMemory(big, bigToo, small, view);
    expect(big.length).toBe(0);
    expect(big.buffer.byteLength).toBe(0);
    expect(view.length).toBe(0);
    expect(bigToo.length).toBe(0);
    expect([...small]).toEqual(Array(16).fill(7));
  });

  it('gives back the memory now, not at the next full GC', () => {
    const rss = () => process.memoryUsage().rss;
    // Old enough to be in the old generation: only a full GC would free it.
    const column = new Float64Array(8 * 1024 * 1024).fill(1);
    for (let i = 0; i < 20; i++) new Array(100_000).fill(i);
    const before = rss();
    releaseMemory(column);
    for (let i = 0; i < 20; i++) new Array(100_000).fill(i); // a few young-generation GCs
    expect(before - rss()).toBeGreaterThan(32 * 1024 * 1024);
  });
});
