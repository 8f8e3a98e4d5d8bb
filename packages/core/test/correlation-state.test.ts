import { describe, expect, test } from 'vitest';
import { CORRELATION_EXPIRY_MS, CorrelationState } from '../src/filters/correlation.js';

describe('CorrelationState', () => {
  test('entries and eviction order survive the periodic copies of the id map', () => {
    // At most 50 ids; tens of thousands come and go, so the map is copied many times on the way. The
    // reference is a plain Map with the same rule: delete on request, evict the oldest when full.
    const state = new CorrelationState(50);
    const reference = new Map<string, number>();
    let seed = 3;
    for (let i = 0; i < 40_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const id = `pid${Math.floor(seed / 65_536) % 400}`;
      if (Math.floor(seed / 65_536) % 5 === 0) {
        state.delete(id);
        reference.delete(id);
        continue;
      }
      state.touch(id, i).last = i;
      if (!reference.has(id) && reference.size >= 50) reference.delete(reference.keys().next().value!);
      if (!reference.has(id)) reference.set(id, i);
      // Checked all along: right after a copy, the order of the ids decides which goes next.
      if (i % 7 === 0) {
        expect(state.size).toBe(reference.size);
        for (const kept of reference.keys()) if (state.peek(kept) === undefined) expect.fail(`${kept} lost at ${i}`);
      }
    }
    expect(state.size).toBe(reference.size);
    for (const id of reference.keys()) expect(state.peek(id), id).toBeDefined();
    // A touched entry stays the same object across copies.
    const kept = state.touch('kept', 40_000);
    for (let i = 0; i < 10_000; i++) state.touch(`other${i % 30}`, 40_000);
    expect(state.peek('kept')).toBe(kept);
  });

  test('ids silent for the expiry are dropped after copies, recent ones kept', () => {
    const state = new CorrelationState();
    for (let i = 0; i < 9000; i++) state.touch(`old${i}`, 0);
    for (let i = 0; i < 9000; i++) state.touch(`new${i}`, CORRELATION_EXPIRY_MS);
    state.touch('late', CORRELATION_EXPIRY_MS + 60_001);
    expect(state.peek('old0')).toBeUndefined();
    expect(state.peek('old8999')).toBeUndefined();
    expect(state.peek('new0')).toBeDefined();
    expect(state.size).toBe(9001);
  });

  test('an id silent for longer than the expiry starts afresh when it comes back, whenever the last sweep ran', () => {
    const state = new CorrelationState();
    // The first touch runs the sweep for the minute after it, so no sweep runs at the second touch below.
    state.touch('other', CORRELATION_EXPIRY_MS - 1);
    const old = state.touch('pid1', 0);
    old.host = '192.0.2.1';
    state.touch('busy', CORRELATION_EXPIRY_MS);
    expect(state.peek('pid1')).toBe(old);
    const again = state.touch('pid1', CORRELATION_EXPIRY_MS + 1);
    expect(again).not.toBe(old);
    expect(again.host).toBeUndefined();
    // Silent for exactly the expiry: still the same process.
    const kept = state.touch('pid2', 0);
    expect(state.touch('pid2', CORRELATION_EXPIRY_MS)).toBe(kept);
  });

  test('peak: the most ids held at once', () => {
    const state = new CorrelationState();
    for (let i = 0; i < 5; i++) state.touch(`pid${i}`, 0);
    for (let i = 0; i < 5; i++) state.delete(`pid${i}`);
    state.touch('pid9', 0);
    expect(state.size).toBe(1);
    expect(state.peak).toBe(5);
  });
});
