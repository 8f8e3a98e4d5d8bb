import { releaseMemory } from '../util/release-memory.js';
import { SlotPool } from '../util/slot-pool.js';
import { OrderedHostMap } from './ordered-host-map.js';

/** What {@link FailureTracker.add} decided for a failure. */
export interface TrackResult {
  /** Failures of this host inside the window, this one included. */
  readonly count: number;
  /** True when the count reached maxretry: the caller bans, and the host's state is cleared. */
  readonly ban: boolean;
}

/** A host's failures as {@link FailureTracker.changes} and `snapshot` give them (empty `times`: forgotten). */
export interface HostFailures {
  readonly host: string;
  readonly times: number[];
}

/** Slots the slab starts with, and below which it is not shrunk. */
const MIN_SLOTS = 64;

/**
 * Counts failures per host inside a sliding window of `findtime`. Memory is the point here: an attack
 * from a million hosts that fail once each must not keep a million objects alive, and hosts that fail a few
 * times before their ban must not leave arrays behind for the garbage collector. A host with one failure
 * costs one entry of an {@link OrderedHostMap} holding its time (~21 bytes for IPv4 with the byte that
 * marks it changed since the last save, no string kept); a host with several holds a slot of `maxretry`
 * times in one shared `Float64Array` (the map holds `-1 - slot`). Expiry is one pass over the map, which
 * also gives the map and the slab back when a flood is over.
 */
export class FailureTracker {
  /** Total failures ever added (for status and metrics). */
  total = 0;
  /** Per host: the time of its only failure (≥ 0), or `-1 - slot` when it has several. */
  private readonly hosts = new OrderedHostMap();
  private findtime: number;
  private maxretry: number;
  /** `maxretry` times per slot, oldest first; a slot holds `counts[slot]` of them. */
  private times = new Float64Array(0);
  private counts = new Uint32Array(0);
  private readonly pool = new SlotPool();
  /**
   * Which hosts changed since the last `clearChanges` (undefined: nobody asks, so nothing is kept): a host
   * still held is marked in {@link hosts} (a byte per entry), a host dropped since is a key here (values
   * unused). A `Set` of changed hosts allocated a new table as it grew each second and another when
   * cleared: under a flood of new hosts those tables (MBs each, in V8's large-object space) stayed resident
   * until the next full GC, and a second map of them cost 20 bytes a host.
   */
  private forgotten: OrderedHostMap | undefined;

  constructor(options: { findtime: number; maxretry: number }) {
    this.findtime = options.findtime;
    this.maxretry = options.maxretry;
  }

  /** Change the limits (config reload); existing state is kept (a host keeps its newest maxretry times). */
  configure(options: { findtime: number; maxretry: number }): void {
    this.findtime = options.findtime;
    if (options.maxretry === this.maxretry) return;
    const old = this.maxretry;
    this.maxretry = options.maxretry;
    this.rebuild(Math.max(MIN_SLOTS, this.slotsInUse), old);
  }

  /** Hosts with at least one failure inside the window (approximate until the next `expire`). */
  get size(): number {
    return this.hosts.size;
  }

  /** Record a failure of `host` at `time` (ms). Failures older than findtime relative to `time` drop out. */
  add(host: string, at: number): TrackResult {
    this.total++;
    // A time the map could mistake for a slot (negative, NaN) counts as the epoch.
    const time = Number.isNaN(at) ? 0 : Math.max(0, at);
    const max = this.maxretry;
    const since = time - this.findtime;
    const hosts = this.hosts;
    const entry = hosts.find(host);
    const tracking = this.forgotten !== undefined;
    if (entry === -1) {
      if (max <= 1) {
        this.forgotten?.set(host, 0);
        return { count: 1, ban: true };
      }
      const e = hosts.set(host, time);
      if (tracking) hosts.mark(e);
      return { count: 1, ban: false };
    }
    if (tracking) hosts.mark(entry);
    const prev = hosts.valueAt(entry);
    if (prev >= 0) {
      const count = prev > since ? 2 : 1;
      if (count >= max) {
        this.drop(entry, true);
        return { count, ban: true };
      }
      // Set in place: the map keeps first-seen order, which the global cap evicts by.
      if (count === 1) {
        hosts.setValueAt(entry, time);
        return { count, ban: false };
      }
      const slot = this.allocate();
      this.times[slot * max] = prev;
      this.times[slot * max + 1] = time;
      this.counts[slot] = 2;
      hosts.setValueAt(entry, -1 - slot);
      return { count, ban: false };
    }
    const slot = -1 - prev;
    const base = slot * max;
    const times = this.times;
    let n = this.counts[slot]!;
    let drop = 0;
    while (drop < n && times[base + drop]! <= since) drop++;
    // A slot is full only after maxretry was lowered: the oldest time makes room.
    if (n - drop === max) drop++;
    if (drop) {
      times.copyWithin(base, base + drop, base + n);
      n -= drop;
    }
    times[base + n] = time;
    n++;
    if (n >= max) {
      this.drop(entry, true);
      this.release(slot);
      return { count: n, ban: true };
    }
    if (n === 1) {
      this.release(slot);
      hosts.setValueAt(entry, time);
    } else {
      this.counts[slot] = n;
    }
    return { count: n, ban: false };
  }

  /** Failures of `host` inside the window ending at `now`. */
  count(host: string, now: number): number {
    const entry = this.hosts.get(host);
    if (entry === undefined) return 0;
    const since = now - this.findtime;
    if (entry >= 0) return entry > since ? 1 : 0;
    const slot = -1 - entry;
    const base = slot * this.maxretry;
    let n = 0;
    for (let k = 0; k < this.counts[slot]!; k++) if (this.times[base + k]! > since) n++;
    return n;
  }

  /** Forget a host (after a ban, or an unban by hand). */
  forget(host: string): void {
    const e = this.hosts.find(host);
    if (e === -1) return;
    const entry = this.hosts.valueAt(e);
    this.drop(e, true);
    if (entry < 0) this.release(-1 - entry);
  }

  /**
   * From now on remember which hosts change, for {@link changes}: a daemon saves them with its read
   * positions about once a second. Costs an entry (~20 bytes) per host that failed since the last save.
   */
  trackChanges(): void {
    this.forgotten ??= new OrderedHostMap();
  }

  /** True when some host may have changed since the last {@link clearChanges}. */
  get hasChanges(): boolean {
    return this.hosts.hasMarks || (this.forgotten?.size ?? 0) > 0;
  }

  /**
   * The hosts whose failures changed since the last {@link clearChanges}, each with the times it holds now
   * (empty: forgotten), built one at a time as the caller asks for them: a save of a second's worth of new
   * hosts (a hundred thousand under a flood) then never holds them all at once, and each record dies young
   * instead of filling V8's old generation until the next full GC. Visiting again gives them again (a store
   * whose write failed reads them a second time); adding failures meanwhile is not allowed.
   */
  *changes(): Generator<HostFailures, void, undefined> {
    const { hosts, forgotten } = this;
    if (!forgotten) return;
    if (hosts.hasMarks)
      for (let e = hosts.first(); e !== -1; e = hosts.next(e))
        if (hosts.isMarked(e)) yield { host: hosts.keyAt(e), times: this.timesAt(e) };
    // A host dropped and then seen again is held (and marked) once more: its record is the one above.
    for (let e = forgotten.first(); e !== -1; e = forgotten.next(e)) {
      const host = forgotten.keyAt(e);
      if (hosts.find(host) === -1) yield { host, times: [] };
    }
  }

  /** Forget which hosts changed (they were saved). */
  clearChanges(): void {
    const forgotten = this.forgotten;
    if (!forgotten) return;
    this.hosts.clearMarks();
    // Kept for the next save while it is a quarter used or more (hosts expire by the thousand); given back after.
    if (forgotten.size * 4 < forgotten.capacity) forgotten.clear();
    else forgotten.empty();
  }

  /** {@link changes} as a list, and forget them. */
  takeChanges(): HostFailures[] {
    const out = [...this.changes()];
    this.clearChanges();
    return out;
  }

  /** Every host with its failure times (to rebuild a lost store). */
  snapshot(): HostFailures[] {
    const out: HostFailures[] = [];
    for (let e = this.hosts.first(); e !== -1; e = this.hosts.next(e))
      out.push({ host: this.hosts.keyAt(e), times: this.timesAt(e) });
    return out;
  }

  /**
   * Put back failures saved before a restart: those inside the window ending at `now`, at most maxretry − 1
   * of them (the newest), so a restored host is never banned without a new failure. Not counted in `total`.
   */
  restore(host: string, times: readonly number[], now: number): void {
    const since = now - this.findtime;
    this.forget(host);
    this.forgotten?.delete(host);
    const room = this.maxretry - 1;
    if (room <= 0) return;
    const keep = times
      .filter((t) => t > since && t <= now)
      .sort((a, b) => a - b)
      .slice(-room);
    if (keep.length === 0) return;
    if (keep.length === 1) {
      this.hosts.set(host, keep[0]!);
      return;
    }
    const slot = this.allocate();
    this.times.set(keep, slot * this.maxretry);
    this.counts[slot] = keep.length;
    this.hosts.set(host, -1 - slot);
  }

  /** Drop hosts whose newest failure is older than findtime: one pass over the hosts (run every ~30 s). */
  expire(now: number): number {
    const since = now - this.findtime;
    let removed = 0;
    const hosts = this.hosts;
    for (let e = hosts.first(); e !== -1; e = hosts.next(e)) {
      const entry = hosts.valueAt(e);
      const slot = -1 - entry;
      const newest = entry >= 0 ? entry : this.times[slot * this.maxretry + this.counts[slot]! - 1]!;
      if (newest > since) continue;
      this.drop(e, true);
      if (entry < 0) this.release(slot);
      removed++;
    }
    // After a flood, give the map and the slab back once most of them is free.
    hosts.compact();
    const capacity = this.counts.length;
    if (capacity > MIN_SLOTS && this.slotsInUse < capacity / 4)
      this.rebuild(Math.max(MIN_SLOTS, this.slotsInUse * 2), this.maxretry);
    return removed;
  }

  /** Drop the `n` hosts seen first (the global `maxtracked` cap); returns how many went. */
  evictOldest(n: number): number {
    let removed = 0;
    for (let e = this.hosts.first(); e !== -1 && removed < n; e = this.hosts.next(e)) {
      const entry = this.hosts.valueAt(e);
      // Not a change to save, unless the host had one waiting: its record then says it is gone.
      this.drop(e, false);
      if (entry < 0) this.release(-1 - entry);
      removed++;
    }
    return removed;
  }

  /** The time of the first failure of the host seen first (+Infinity when empty): the global cap's order. */
  oldest(): number {
    const e = this.hosts.first();
    if (e === -1) return Number.POSITIVE_INFINITY;
    const entry = this.hosts.valueAt(e);
    return entry >= 0 ? entry : this.times[(-1 - entry) * this.maxretry]!;
  }

  clear(): void {
    for (let e = this.hosts.first(); e !== -1; e = this.hosts.next(e)) this.drop(e, false);
    this.hosts.clear();
    releaseMemory(this.times, this.counts);
    this.times = new Float64Array(0);
    this.counts = new Uint32Array(0);
    this.pool.reset(0, 0);
  }

  /** Delete entry `e`; remember its host as changed when `changed`, or when it had a change waiting. */
  private drop(e: number, changed: boolean): void {
    if (this.forgotten !== undefined && (changed || this.hosts.isMarked(e))) this.forgotten.set(this.hosts.keyAt(e), 0);
    this.hosts.deleteAt(e);
  }

  private timesAt(e: number): number[] {
    const entry = this.hosts.valueAt(e);
    if (entry >= 0) return [entry];
    const slot = -1 - entry;
    const base = slot * this.maxretry;
    // A plain copy: `Array.from` of a typed array goes through its iterator, many times slower at this size.
    const n = this.counts[slot]!;
    const out = new Array<number>(n);
    for (let k = 0; k < n; k++) out[k] = this.times[base + k]!;
    return out;
  }

  private get slotsInUse(): number {
    return this.pool.inUse;
  }

  private allocate(): number {
    const slot = this.pool.take();
    if (slot >= 0) return slot;
    this.grow(Math.max(MIN_SLOTS, this.pool.capacity * 2));
    return this.pool.take();
  }

  private release(slot: number): void {
    this.counts[slot] = 0;
    this.pool.give(slot);
  }

  private grow(slots: number): void {
    const times = new Float64Array(slots * this.maxretry);
    times.set(this.times);
    const counts = new Uint32Array(slots);
    counts.set(this.counts);
    releaseMemory(this.times, this.counts);
    this.times = times;
    this.counts = counts;
    this.pool.grow(slots);
  }

  /** Copy every host's slot into a new slab of `slots` slots, numbered from 0 (slots were `width` times wide). */
  private rebuild(slots: number, width: number): void {
    const max = this.maxretry;
    const times = new Float64Array(slots * max);
    const counts = new Uint32Array(slots);
    let next = 0;
    for (let e = this.hosts.first(); e !== -1; e = this.hosts.next(e)) {
      const entry = this.hosts.valueAt(e);
      if (entry >= 0) continue;
      const slot = -1 - entry;
      const n = this.counts[slot]!;
      const keep = Math.min(n, max);
      const from = slot * width + n - keep;
      times.set(this.times.subarray(from, from + keep), next * max);
      counts[next] = keep;
      this.hosts.setValueAt(e, -1 - next);
      next++;
    }
    releaseMemory(this.times, this.counts);
    this.times = times;
    this.counts = counts;
    this.pool.reset(slots, next);
  }
}
