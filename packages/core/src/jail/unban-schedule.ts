/** Longest delay setTimeout accepts; later expiries are re-armed when it fires. */
const MAX_TIMER = 2 ** 31 - 1;
/** Entries the heap starts with, and below which it is not shrunk. */
const MIN_ENTRIES = 64;

/**
 * Expiry times in a binary min-heap with a single timer armed for the earliest one. Entries are never
 * removed from the middle: a ban that was lifted early or replaced simply no longer has that expiry when
 * its entry comes up (the owner compares the time it is handed with the ban's), so each ban fires at most
 * once and removal costs nothing. The heap is a `Float64Array` of times beside an array of keys: no object
 * per entry, 16 bytes each.
 */
export class UnbanSchedule {
  private times = new Float64Array(MIN_ENTRIES);
  private readonly keys: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  /**
   * @param onDue called with the key and the time of each due entry; the owner checks that time is still the key's expiry.
   * @param now clock (ms)
   */
  constructor(
    private readonly onDue: (key: string, at: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Schedule `key` at `at` (ms). Infinite times are not scheduled. */
  add(key: string, at: number): void {
    if (!Number.isFinite(at)) return;
    let i = this.keys.length;
    if (i === this.times.length) this.resize(i * 2);
    const times = this.times;
    const keys = this.keys;
    keys.push(key);
    // Sift up: move parents down until the new entry's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= at) break;
      times[i] = times[parent]!;
      keys[i] = keys[parent]!;
      i = parent;
    }
    times[i] = at;
    keys[i] = key;
    if (at < this.armedFor) this.arm();
  }

  get size(): number {
    return this.keys.length;
  }

  /** Entries the heap has room for (8 bytes each beside the keys): it grows with a flood and shrinks after. */
  get capacity(): number {
    return this.times.length;
  }

  /** Fire everything due now and re-arm for the next entry. */
  runDue(): void {
    const now = this.now();
    while (this.keys.length && this.times[0]! <= now) {
      const at = this.times[0]!;
      const key = this.pop();
      this.onDue(key, at);
    }
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.keys.length = 0;
    this.times = new Float64Array(MIN_ENTRIES);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = this.keys.length ? this.times[0]! : Number.POSITIVE_INFINITY;
    if (!this.keys.length) return;
    const delay = Math.min(Math.max(0, this.armedFor - this.now()), MAX_TIMER);
    this.timer = setTimeout(() => this.runDue(), delay);
    this.timer.unref();
  }

  /** Remove the earliest entry and return its key. */
  private pop(): string {
    const times = this.times;
    const keys = this.keys;
    const top = keys[0]!;
    const lastKey = keys.pop()!;
    const n = keys.length;
    if (n) {
      const lastAt = times[n]!;
      // Sift down: move the smaller child up until the last entry's place is found.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const m = l + 1 < n && times[l + 1]! < times[l]! ? l + 1 : l;
        if (times[m]! >= lastAt) break;
        times[i] = times[m]!;
        keys[i] = keys[m]!;
        i = m;
      }
      times[i] = lastAt;
      keys[i] = lastKey;
    }
    // After a flood of bans has expired, give the memory back.
    if (times.length > MIN_ENTRIES && n < times.length / 4) this.resize(Math.max(MIN_ENTRIES, n * 2));
    return top;
  }

  private resize(entries: number): void {
    const times = new Float64Array(entries);
    // Called before a push (growing: every slot is in use) or after a pop (shrinking to at least twice the entries).
    times.set(this.times.subarray(0, this.keys.length));
    this.times = times;
  }
}
