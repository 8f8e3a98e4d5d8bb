/**
 * Hands out slot numbers into a set of parallel typed arrays kept by its owner (current bans, failure
 * times, recent-match hosts): slots given back are reused first, then fresh ones up to `capacity`. The
 * owner grows or compacts its arrays and tells the pool; the pool never touches them.
 */
export class SlotPool {
  private free = new Int32Array(0);
  private freeCount = 0;
  /** Slots `0..used-1` were handed out at least once since the last {@link SlotPool.reset}. */
  private used = 0;
  /** Slots the owner's arrays have. */
  capacity = 0;

  /** Slots handed out and not given back. */
  get inUse(): number {
    return this.used - this.freeCount;
  }

  /** A free slot, or -1 when all `capacity` slots are taken: the owner grows its arrays, calls {@link SlotPool.grow} and asks again. */
  take(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount]!;
    return this.used < this.capacity ? this.used++ : -1;
  }

  /** Give `slot` back for reuse. */
  give(slot: number): void {
    this.free[this.freeCount++] = slot;
  }

  /** The owner's arrays now have `capacity` slots, the old ones unmoved. */
  grow(capacity: number): void {
    const free = new Int32Array(capacity);
    free.set(this.free.subarray(0, this.freeCount));
    this.free = free;
    this.capacity = capacity;
  }

  /** The owner rebuilt its arrays with `capacity` slots, of which `0..used-1` are taken and none is free. */
  reset(capacity: number, used: number): void {
    this.free = new Int32Array(capacity);
    this.freeCount = 0;
    this.used = used;
    this.capacity = capacity;
  }
}
