import { describe, expect, test } from 'vitest';
import { HOSTILE_LINE_LENGTH, MARKER_ADDRESSES, checkHostile, hostileLines, injectionLines, optionCombinations } from '../src/index.js';
import { carelessFilter, miniFilter } from './mini-filter.js';

describe('hostile corpus', () => {
  test('200 lines of 64 KiB; injection lines carry the markers', () => {
    const lines = hostileLines();
    expect(lines.length).toBe(200);
    for (const l of lines) expect(l.length).toBe(HOSTILE_LINE_LENGTH);
    for (const l of injectionLines()) expect(MARKER_ADDRESSES.some((m) => l.includes(m))).toBe(true);
  });

  test('option combinations', () => {
    expect(optionCombinations(miniFilter)).toEqual([{ mode: 'normal' }, { mode: 'aggressive' }]);
    expect(optionCombinations({ id: 'x', failregex: [] })).toEqual([{}]);
  });
});

describe('checkHostile', () => {
  test('a well-anchored filter passes every mode', () => {
    const r = checkHostile(miniFilter);
    expect(r.errors).toEqual([]);
    expect(r.ms).toBeGreaterThan(0);
  });

  test('a careless filter is caught: marker reported, budget blown', () => {
    const r = checkHostile(carelessFilter, { budgetMs: 50 });
    expect(r.errors.some((e) => e.includes('reported marker 203.0.113.66'))).toBe(true);
    expect(r.errors.some((e) => /over the 50 ms budget/.test(e))).toBe(true);
  }, 60_000);
});
