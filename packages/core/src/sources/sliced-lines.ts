import { LINE_SLICE } from '../contract/limits.js';
import type { SourceLine } from '../contract/log-source.js';

/**
 * Hands `lines` (raw text) to `deliver` as {@link SourceLine}s, {@link LINE_SLICE} at a time: the line
 * objects of a slice are built just before it goes, so none outlives its slice (see {@link LINE_SLICE} for
 * why that matters to memory).
 */
export function deliverSliced(lines: readonly string[], deliver: (slice: SourceLine[]) => void): void {
  for (let start = 0; start < lines.length; start += LINE_SLICE) {
    const end = Math.min(lines.length, start + LINE_SLICE);
    const slice = new Array<SourceLine>(end - start);
    for (let i = start; i < end; i++) slice[i - start] = { text: lines[i]! };
    deliver(slice);
  }
}
