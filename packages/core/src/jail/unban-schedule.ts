import { ipv4Key, ipv4Number } from './host-key.js';

/** Longest delay setTimeout accepts; later expiries are re-armed when it fires. */
const MAX_TIMER = 2 ** 31 - 1;
/** Entries the heap starts with, and below which it is not shrunk. */
const MIN_ENTRIES = 64;

/**
 * Expiry times in a binary min-heap with a single timer armed for the earliest one. Entries are never
 * removed from the middle: a ban that was lifted early or replaced simply no longer has that expiry when
 * its entry comes up (the owner compares the time it is handed with the ban's), so each ban fires at most
 * once and removal costs nothing. The heap is typed arrays: a time, and a key that is an IPv4 address
 * held as its 32-bit value (12 bytes an entry, no string kept alive: a million bans held a million
 * address strings here). Other keys (IPv6, prefixes, any other string) are kept as strings beside, in an
 * array made with the first of them.
 */
export class UnbanSchedule {
  private times = new Float64Array(MIN_ENTRIES);
  /** IPv4 keys' values (0 for a string key). */
  private numbers = new Uint32Array(MIN_ENTRIES);
  /** Each entry's key when it is not IPv4 (undefined for IPv4); as long as the heap, once made. */
  private names: (string | undefined)[] | undefined;
  private count = 0;
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
    let i = this.count++;
    if (i === this.times.length) this.resize(i * 2);
    const number = ipv4Number(key);
    const name = number >= 0 ? undefined : key;
    if (name !== undefined && this.names === undefined) this.names = new Array<undefined>(i).fill(undefined);
    const { times, numbers, names } = this;
    names?.push(undefined);
    // Sift up: move parents down until the new entry's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= at) break;
      times[i] = times[parent]!;
      numbers[i] = numbers[parent]!;
      if (names) names[i] = names[parent];
      i = parent;
    }
    times[i] = at;
    numbers[i] = Math.max(number, 0);
    if (names) names[i] = name;
    if (at < this.armedFor) this.arm();
  }

  get size(): number {
    return this.count;
  }

  /** Entries the heap has room for (12 bytes each): it grows with a flood and shrinks after. */
  get capacity(): number {
    return this.times.length;
  }

  /** Fire everything due now and re-arm for the next entry. */
  runDue(): void {
    const now = this.now();
    while (this.count && this.times[0]! <= now) {
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
    this.count = 0;
    this.names = undefined;
    this.times = new Float64Array(MIN_ENTRIES);
    this.numbers = new Uint32Array(MIN_ENTRIES);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = this.count ? this.times[0]! : Number.POSITIVE_INFINITY;
    if (!this.count) return;
    const delay = Math.min(Math.max(0, this.armedFor - this.now()), MAX_TIMER);
    this.timer = setTimeout(() => this.runDue(), delay);
    this.timer.unref();
  }

  /** Remove the earliest entry and return its key. */
  private pop(): string {
    const { times, numbers, names } = this;
    const top = names?.[0] ?? ipv4Key(numbers[0]!);
    const n = --this.count;
    const lastName = names?.pop();
    if (n) {
      const lastAt = times[n]!;
      const lastNumber = numbers[n]!;
      // Sift down: move the smaller child up until the last entry's place is found.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const m = l + 1 < n && times[l + 1]! < times[l]! ? l + 1 : l;
        if (times[m]! >= lastAt) break;
        times[i] = times[m]!;
        numbers[i] = numbers[m]!;
        if (names) names[i] = names[m];
        i = m;
      }
      times[i] = lastAt;
      numbers[i] = lastNumber;
      if (names) names[i] = lastName;
    }
    // After a flood of bans has expired, give the memory back.
    if (times.length > MIN_ENTRIES && n < times.length / 4) this.resize(Math.max(MIN_ENTRIES, n * 2));
    return top;
  }

  private resize(entries: number): void {
    // Called before a push (growing: every slot is in use) or after a pop (shrinking to at least twice the entries).
    const times = new Float64Array(entries);
    const numbers = new Uint32Array(entries);
    times.set(this.times.subarray(0, Math.min(this.count, entries)));
    numbers.set(this.numbers.subarray(0, Math.min(this.count, entries)));
    this.times = times;
    this.numbers = numbers;
  }
}
