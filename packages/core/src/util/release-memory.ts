/** Arrays smaller than this are left to the garbage collector (a detach costs more than it gives back). */
const RELEASE_MIN_BYTES = 64 * 1024;

/**
 * Give the memory of typed arrays their owner has just replaced (grown, shrunk) back now rather than at
 * V8's next full GC: a column of a million hosts is a long-lived object, so the old one would otherwise stay
 * resident beside its successor for as long as the heap takes to fill (tens of MB at the top of a flood).
 * Each array's buffer is detached by transferring it to a clone nobody keeps; that young clone, and the
 * memory with it, goes at the next young-generation GC. Every view of a released array reads as empty:
 * pass only arrays that own their buffer and that nothing uses any more.
 */
export function releaseMemory(...arrays: ArrayBufferView[]): void {
  const buffers: ArrayBuffer[] = [];
  for (const a of arrays) {
    const buffer = a.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength >= RELEASE_MIN_BYTES && !buffers.includes(buffer)) buffers.push(buffer);
  }
  if (buffers.length) structuredClone(buffers, { transfer: buffers });
}
