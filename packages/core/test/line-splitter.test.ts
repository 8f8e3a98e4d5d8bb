import { describe, expect, it } from 'vitest';
import { LINE_SLICE } from '../src/contract/limits.js';
import { LineSplitter } from '../src/sources/line-splitter.js';

describe('LineSplitter.each', () => {
  it('hands lines on as it cuts them, at most LINE_SLICE at a time, the same lines push gives', () => {
    // A read of ~256 KiB: 3,000 lines, two of them cut by the chunk boundaries, one multi-byte character split.
    const text = Array.from({ length: 3000 }, (_, i) => `line ${i} caf\u00e9 ${'x'.repeat(i % 150)}\r`).join('\n');
    const bytes = Buffer.from(`${text}\nlast`);
    const cuts = [0, 100_001, 200_003, bytes.length];
    const slices: string[][] = [];
    const splitter = new LineSplitter();
    for (let k = 0; k + 1 < cuts.length; k++) splitter.each(bytes.subarray(cuts[k], cuts[k + 1]), (lines) => slices.push(lines));
    const pushed = new LineSplitter();
    const all = cuts.slice(0, -1).flatMap((from, k) => pushed.push(bytes.subarray(from, cuts[k + 1])));
    expect(Math.max(...slices.map((s) => s.length))).toBe(LINE_SLICE);
    expect(slices.flat()).toEqual(all);
    expect(all).toHaveLength(3000);
    expect(all[2999]).toBe(`line 2999 caf\u00e9 ${'x'.repeat(2999 % 150)}`);
    expect(splitter.flush()).toEqual(['last']);
  });

  it('hands nothing on for a chunk without a complete line', () => {
    const splitter = new LineSplitter();
    const slices: string[][] = [];
    splitter.each(Buffer.from('no newline yet'), (lines) => slices.push(lines));
    splitter.each('', (lines) => slices.push(lines));
    expect(slices).toEqual([]);
    splitter.each(' and now\n', (lines) => slices.push(lines));
    expect(slices).toEqual([['no newline yet and now']]);
  });
});
