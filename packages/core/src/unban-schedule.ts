/** Longest delay setTimeout accepts; later expiries are re-armed when it fires. */
const MAX_TIMER = 2 ** 31 - 1;

interface Entry {
  readonly at: number;
  readonly key: string;
  readonly token: object;
}

/**
 * Expiry times in a binary min-heap with a single timer armed for the earliest one. Entries are never
 * removed from the middle: a ban that was lifted early or replaced simply no longer matches its token
 * when it comes up, so each ban fires at most once and removal costs nothing.
 */
export class UnbanSchedule {
  private readonly heap: Entry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  /**
   * @param onDue called with the key and token of each due entry; the owner checks the token is still current.
   * @param now clock (ms)
   */
  constructor(
    private readonly onDue: (key: string, token: object) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Schedule `key` at `at` (ms). Infinite times are not scheduled. */
  add(key: string, at: number, token: object): void {
    if (!Number.isFinite(at)) return;
    const heap = this.heap;
    heap.push({ at, key, token });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= heap[i]!.at) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
    if (at < this.armedFor) this.arm();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Fire everything due now and re-arm for the next entry. */
  runDue(): void {
    const now = this.now();
    while (this.heap.length && this.heap[0]!.at <= now) {
      const e = this.pop();
      this.onDue(e.key, e.token);
    }
    this.arm();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    this.heap.length = 0;
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.heap[0];
    this.armedFor = next ? next.at : Number.POSITIVE_INFINITY;
    if (!next) return;
    const delay = Math.min(Math.max(0, next.at - this.now()), MAX_TIMER);
    this.timer = setTimeout(() => this.runDue(), delay);
    this.timer.unref();
  }

  private pop(): Entry {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.at < heap[m]!.at) m = l;
        if (r < heap.length && heap[r]!.at < heap[m]!.at) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
