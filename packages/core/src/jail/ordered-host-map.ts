import { detach } from '../parsing/detach-string.js';
import { releaseMemory } from '../util/release-memory.js';
import { hashNumber, hashString, ipv4Key, ipv4Number } from './host-key.js';

/** Entries the map starts with, and below which it is not shrunk. */
const MIN_ENTRIES = 64;
/** A bucket that never held an entry ends a probe; one whose entry was deleted does not. */
const EMPTY = 0;
const DELETED = -1;

/**
 * A `Map<string, number>` for host keys, in typed arrays: an IPv4 key costs 4 bytes, its value 8 and its
 * hash buckets 8 (two per entry: probes stay short), about 21 bytes against ~90 for a `Map` entry with its
 * string and boxed time, and nothing the garbage collector traces. Other keys (IPv6, prefixes) keep their
 * string beside. Like a `Map`, entries stay in the order they were first set, which the global `maxtracked`
 * cap evicts by: entries are appended to columns and a deleted one leaves a gap (its value NaN) until the
 * columns are full or {@link OrderedHostMap.compact} is called. Values must not be NaN. Columns that are
 * replaced give their memory back at once (see {@link releaseMemory}).
 *
 * Entries are visited by number: `for (let e = map.first(); e !== -1; e = map.next(e))`. Deleting the entry
 * being visited (or any other) is allowed during a visit; setting a new key is not (it may renumber them).
 * A visit that may outlive a renumbering (one paused in a generator) walks with a {@link HostCursor}.
 *
 * An owner may keep columns of its own beside the map, indexed by entry number (current bans keep a ban's
 * times and counts there, so the number is the ban's slot and costs nothing to look up): `onRenumber` tells
 * it when the entries moved and how many the columns must hold.
 */
export class OrderedHostMap {
  /** IPv4 keys' values (0 for a string key). */
  private numbers = new Uint32Array(MIN_ENTRIES);
  private values = new Float64Array(MIN_ENTRIES);
  /** Each entry's key when it is not IPv4 (undefined for IPv4); created with the first such key. */
  private names: (string | undefined)[] | undefined;
  /** Open addressing, linear probing: entry number + 1, EMPTY or DELETED. */
  private buckets = new Int32Array(2 * MIN_ENTRIES);
  /** Entries appended since the last rebuild (live or deleted). */
  private end = 0;
  /** No live entry comes before this one. */
  private head = 0;
  private count = 0;
  /** Set by `find`: the empty bucket where the key searched for would go. */
  private vacant = 0;
  /** A byte per entry, 1 when marked (see {@link mark}); created by the first mark. */
  private marks: Uint8Array | undefined;
  /** Some entry may be marked (cleared by {@link clearMarks}). */
  private anyMarked = false;
  /** Visits in progress; a cursor whose visit was dropped unfinished is let go with its generator. */
  private cursors: WeakRef<HostCursor>[] = [];

  /**
   * @param onRenumber called after every rebuild (growth, compaction, `clear`): the entry now numbered `i`
   *   was numbered `order[i]` (no `order`: every entry kept its number), and the owner's columns must hold
   *   `capacity` entries.
   */
  constructor(private readonly onRenumber?: (order: Int32Array | undefined, capacity: number) => void) {}

  get size(): number {
    return this.count;
  }

  /** Entry numbers are below this (a power of two). */
  get capacity(): number {
    return this.values.length;
  }

  /** The entry number of `key`, or -1. */
  find(key: string): number {
    return this.findAs(key, ipv4Number(key));
  }

  /** {@link find} with `number`, the key's {@link ipv4Number}, already known. */
  private findAs(key: string, number: number): number {
    const names = this.names;
    const mask = this.buckets.length - 1;
    let i = (number >= 0 ? hashNumber(number) : hashString(key)) & mask;
    for (;;) {
      const b = this.buckets[i]!;
      if (b === EMPTY) {
        this.vacant = i;
        return -1;
      }
      if (b > 0) {
        const e = b - 1;
        const name = names?.[e];
        if (number >= 0 ? name === undefined && this.numbers[e] === number : name === key) return e;
      }
      i = (i + 1) & mask;
    }
  }

  get(key: string): number | undefined {
    const e = this.find(key);
    return e === -1 ? undefined : this.values[e];
  }

  has(key: string): boolean {
    return this.find(key) !== -1;
  }

  /** Set the value of `key`; a new key goes last. Returns its entry number, valid until the next rebuild. */
  set(key: string, value: number): number {
    const number = ipv4Number(key);
    let e = this.findAs(key, number);
    if (e !== -1) {
      this.values[e] = value;
      return e;
    }
    if (this.end === this.values.length) {
      // Full: compact when at most half the entries are live, else double.
      if (this.count * 2 <= this.values.length) this.rebuild(this.values.length);
      else if (this.count === this.end) this.grow();
      else this.rebuild(this.values.length * 2);
      this.findAs(key, number);
    }
    e = this.end++;
    this.numbers[e] = Math.max(number, 0);
    if (number < 0 && this.names === undefined) this.names = new Array<undefined>(e).fill(undefined);
    // Appended in entry order, so the array stays packed. A key that is not IPv4 is copied: it may be a slice
    // of the text its line was read from (an IPv6 address as written), which it would keep alive.
    this.names?.push(number >= 0 ? undefined : detach(key));
    this.values[e] = value;
    if (this.marks) this.marks[e] = 0;
    this.buckets[this.vacant] = e + 1;
    this.count++;
    return e;
  }

  /**
   * Mark entry `e` (one byte per entry, columns of their own, moved with the entries): a flag on the
   * entries themselves, such as the failure tracker's "changed since the last save", costs no second map.
   */
  mark(e: number): void {
    if (!this.marks) {
      this.marks = new Uint8Array(this.values.length);
    }
    this.marks[e] = 1;
    this.anyMarked = true;
  }

  isMarked(e: number): boolean {
    return this.marks !== undefined && this.marks[e] === 1;
  }

  /** True when an entry may be marked: false right after {@link clearMarks} until the next {@link mark}. */
  get hasMarks(): boolean {
    return this.anyMarked;
  }

  /** Unmark every entry. */
  clearMarks(): void {
    if (this.anyMarked) this.marks?.fill(0, 0, this.end);
    this.anyMarked = false;
  }

  delete(key: string): boolean {
    const e = this.find(key);
    if (e === -1) return false;
    this.deleteAt(e);
    return true;
  }

  /** The first live entry in first-set order, or -1. */
  first(): number {
    while (this.head < this.end && Number.isNaN(this.values[this.head]!)) this.head++;
    return this.head < this.end ? this.head : -1;
  }

  /** The live entry after `e`, or -1. */
  next(e: number): number {
    for (let n = e + 1; n < this.end; n++) if (!Number.isNaN(this.values[n]!)) return n;
    return -1;
  }

  /** A position for a visit that survives renumbering: pass it to {@link advance} until that gives -1. */
  cursor(): HostCursor {
    const cursor = { at: 0 };
    this.cursors.push(new WeakRef(cursor));
    return cursor;
  }

  /**
   * The next live entry of the visit `cursor` makes (entries set meanwhile are visited, those deleted are
   * not), or -1 when it is over and the cursor let go.
   */
  advance(cursor: HostCursor): number {
    let e = Math.max(cursor.at, this.head);
    while (e < this.end && Number.isNaN(this.values[e]!)) e++;
    if (e < this.end) {
      cursor.at = e + 1;
      return e;
    }
    this.release(cursor);
    return -1;
  }

  /** End a visit before {@link advance} gave -1. */
  release(cursor: HostCursor): void {
    cursor.at = Number.POSITIVE_INFINITY;
    this.cursors = this.cursors.filter((ref) => {
      const c = ref.deref();
      return c !== undefined && c !== cursor;
    });
  }

  keyAt(e: number): string {
    return this.names?.[e] ?? ipv4Key(this.numbers[e]!);
  }

  valueAt(e: number): number {
    return this.values[e]!;
  }

  setValueAt(e: number, value: number): void {
    this.values[e] = value;
  }

  deleteAt(e: number): void {
    const number = this.numbers[e]!;
    const name = this.names?.[e];
    const mask = this.buckets.length - 1;
    let i = (name === undefined ? hashNumber(number) : hashString(name)) & mask;
    while (this.buckets[i] !== e + 1) i = (i + 1) & mask;
    this.buckets[i] = DELETED;
    this.values[e] = Number.NaN;
    if (name !== undefined) this.names![e] = undefined;
    this.count--;
  }

  /** Give memory back when at most a quarter of the columns is in use (after a flood expired). */
  compact(): void {
    const capacity = this.values.length;
    // Halved until about half full: capacities stay powers of two, as the bucket mask needs.
    let to = capacity;
    while (to > MIN_ENTRIES && this.count < to / 4) to /= 2;
    if (to < capacity) this.rebuild(to);
  }

  clear(): void {
    this.empty();
    this.names = undefined;
    this.rebuild(MIN_ENTRIES);
  }

  /**
   * Remove every entry but keep the columns, for a map filled again to about the same size soon after (the
   * hosts changed between two saves): clearing and growing again each time would allocate new columns,
   * and the old ones stay resident until V8 collects their owners in a full GC.
   */
  empty(): void {
    this.buckets.fill(EMPTY);
    if (this.names) this.names.length = 0;
    this.end = 0;
    this.head = 0;
    this.count = 0;
    this.anyMarked = false;
    // A visit in progress goes on with the entries set from now on.
    for (const c of this.liveCursors()) c.cursor.at = 0;
  }

  /** Move the live entries, in order, to columns of `capacity` entries (a power of two), and hash them again. */
  private rebuild(capacity: number): void {
    if (capacity === this.values.length) {
      this.compactInPlace();
      return;
    }
    const numbers = new Uint32Array(capacity);
    // Not filled: entries from `end` on are never read, and pages stay untouched until entries reach them.
    const values = new Float64Array(capacity);
    const names = this.names && ([] as (string | undefined)[]);
    const marks = this.marks && new Uint8Array(capacity);
    const buckets = new Int32Array(2 * capacity);
    const mask = buckets.length - 1;
    const order = this.onRenumber && new Int32Array(this.count);
    const cursors = this.liveCursors();
    let next = 0;
    for (let e = this.first(); e !== -1; e = this.next(e)) {
      const number = this.numbers[e]!;
      const name = this.names?.[e];
      if (order) order[next] = e;
      // A cursor past this entry is moved past its new number; one at or before it, to it at the latest.
      if (cursors.length) for (const c of cursors) if (c.at > e) c.to = next + 1;
      numbers[next] = number;
      values[next] = this.values[e]!;
      if (marks) marks[next] = this.marks![e]!;
      names?.push(name);
      let i = (name === undefined ? hashNumber(number) : hashString(name)) & mask;
      while (buckets[i] !== EMPTY) i = (i + 1) & mask;
      buckets[i] = ++next;
    }
    releaseMemory(this.numbers, this.values, this.buckets, ...(this.marks ? [this.marks] : []));
    this.numbers = numbers;
    this.values = values;
    this.marks = marks;
    this.names = names;
    this.buckets = buckets;
    this.end = next;
    this.head = 0;
    for (const c of cursors) c.cursor.at = c.to;
    this.onRenumber?.(order, capacity);
  }

  /**
   * Double the columns of a map without gaps: entries keep their numbers (and visits their place), only
   * the buckets are made again. A restart fills the map a million entries from empty.
   */
  private grow(): void {
    const capacity = this.values.length * 2;
    const numbers = new Uint32Array(capacity);
    // Not filled, as in rebuild: entries from `end` on are never read.
    const values = new Float64Array(capacity);
    const marks = this.marks && new Uint8Array(capacity);
    numbers.set(this.numbers);
    values.set(this.values);
    if (marks) marks.set(this.marks!);
    const buckets = new Int32Array(2 * capacity);
    const mask = buckets.length - 1;
    const names = this.names;
    for (let e = 0; e < this.end; e++) {
      const name = names?.[e];
      let i = (name === undefined ? hashNumber(numbers[e]!) : hashString(name)) & mask;
      while (buckets[i] !== EMPTY) i = (i + 1) & mask;
      buckets[i] = e + 1;
    }
    releaseMemory(this.numbers, this.values, this.buckets, ...(this.marks ? [this.marks] : []));
    this.numbers = numbers;
    this.values = values;
    this.marks = marks;
    this.buckets = buckets;
    this.onRenumber?.(undefined, capacity);
  }

  /** The cursors of visits in progress, each with the number it will have after a rebuild (0 so far). */
  private liveCursors(): { cursor: HostCursor; at: number; to: number }[] {
    if (this.cursors.length === 0) return [];
    const live: { cursor: HostCursor; at: number; to: number }[] = [];
    this.cursors = this.cursors.filter((ref) => {
      const cursor = ref.deref();
      if (cursor !== undefined) live.push({ cursor, at: cursor.at, to: 0 });
      return cursor !== undefined;
    });
    return live;
  }

  /**
   * {@link rebuild} to the same capacity without new columns: a map whose keys come and go (a fixed number
   * of hosts, the oldest dropped for each new one) fills its columns with gaps again and again, and new
   * columns each time would be garbage that only a full GC gives back.
   */
  private compactInPlace(): void {
    const { numbers, values, names, marks, buckets } = this;
    const order = this.onRenumber && new Int32Array(this.count);
    const cursors = this.liveCursors();
    let next = 0;
    // Entries only move down (next <= e), so what the visit reads further on is untouched.
    for (let e = this.first(); e !== -1; e = this.next(e)) {
      if (order) order[next] = e;
      // As in rebuild: a cursor past this entry is moved past its new number.
      if (cursors.length) for (const c of cursors) if (c.at > e) c.to = next + 1;
      if (e !== next) {
        numbers[next] = numbers[e]!;
        values[next] = values[e]!;
        if (names) names[next] = names[e];
        if (marks) marks[next] = marks[e]!;
      }
      next++;
    }
    if (names) names.length = next;
    buckets.fill(EMPTY);
    const mask = buckets.length - 1;
    for (let e = 0; e < next; e++) {
      const name = names?.[e];
      let i = (name === undefined ? hashNumber(numbers[e]!) : hashString(name)) & mask;
      while (buckets[i] !== EMPTY) i = (i + 1) & mask;
      buckets[i] = e + 1;
    }
    this.end = next;
    this.head = 0;
    for (const c of cursors) c.cursor.at = c.to;
    this.onRenumber?.(order, values.length);
  }
}

/** Where a visit of an {@link OrderedHostMap} stands: the entry number it looks at next. */
export interface HostCursor {
  at: number;
}
