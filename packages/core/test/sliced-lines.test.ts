import { describe, expect, it } from 'vitest';
import { LINE_SLICE } from '../src/contract/limits.js';
import type { SourceLine } from '../src/contract/log-source.js';
import { deliverSliced } from '../src/sources/sliced-lines.js';

describe('deliverSliced', () => {
  it('hands lines on in order, at most LINE_SLICE at a time, and nothing for no lines', () => {
    const lines = Array.from({ length: 2 * LINE_SLICE + 5 }, (_, i) => `line ${i}`);
    const slices: SourceLine[][] = [];
    deliverSliced(lines, (slice) => slices.push(slice));
    expect(slices.map((s) => s.length)).toEqual([LINE_SLICE, LINE_SLICE, 5]);
    expect(slices.flat().map((l) => l.text)).toEqual(lines);
    expect(slices.flat().every((l) => Object.keys(l).join() === 'text')).toBe(true);
    deliverSliced([], (slice) => slices.push(slice));
    expect(slices).toHaveLength(3);
  });
});
