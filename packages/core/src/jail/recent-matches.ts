import { SlotPool } from '../util/slot-pool.js';
import { OrderedHostMap } from './ordered-host-map.js';

const LINES_PER_HOST = 6;
const MAX_HOSTS = 10_000;
/** Longest line kept (characters); longer ones are cut and marked with `…`. */
const MAX_KEPT_LINE = 1000;
/** Longest user name kept (characters). */
const MAX_KEPT_USER = 256;
/** Bytes of matched lines a {@link MatchRing} keeps by default: one ring serves every jail of a daemon. */
export const MATCH_RING_BYTES = 8 * 1024 * 1024;
/** A record: previous record of the host (float64, -1 for none), line bytes (u32), user bytes (u16). */
const HEADER = 14;
const NO_USER = 0xffff;

/**
 * Matched lines (and their user names) as UTF-8 records in one ring buffer, each pointing to the previous
 * record of its host. Kept this way rather than as strings and arrays, a failure leaves nothing for the
 * garbage collector, and memory stays flat under a flood of failures from many hosts: the flood overwrites
 * the oldest records instead. Allocated on first use.
 */
export class MatchRing {
  private ring: Buffer | undefined;
  /** Bytes ever written: a record written at `start` is intact while `start >= written - size`. */
  private written = 0;

  constructor(private readonly size = MATCH_RING_BYTES) {}

  /** Writes a record; returns where it starts (in bytes ever written), or -1 when it cannot fit. */
  append(previous: number, text: string, user: string | undefined): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; a record never wraps around the end of the ring.
    const most = HEADER + 3 * (text.length + (user?.length ?? 0));
    if (most > this.size) return -1;
    // Not zero-filled: memory becomes resident as records are written, so a quiet daemon never holds all of
    // it. Only bytes of intact records (below `written`) are ever read.
    this.ring ??= Buffer.allocUnsafeSlow(this.size);
    const ring = this.ring;
    let at = this.written % this.size;
    if (at + most > this.size) {
      this.written += this.size - at;
      at = 0;
    }
    const start = this.written;
    const lineBytes = ring.write(text, at + HEADER, 'utf8');
    const userBytes = user === undefined ? NO_USER : ring.write(user, at + HEADER + lineBytes, 'utf8');
    ring.writeDoubleLE(previous, at);
    ring.writeUInt32LE(lineBytes, at + 8);
    ring.writeUInt16LE(userBytes, at + 12);
    this.written += HEADER + lineBytes + (userBytes === NO_USER ? 0 : userBytes);
    return start;
  }

  /** The record at `start`, or undefined when the ring has overwritten it. */
  read(start: number): { line: string; user: string | undefined; previous: number } | undefined {
    const ring = this.ring;
    if (ring === undefined || start < 0 || start < this.written - this.size) return undefined;
    const at = start % this.size;
    const lineBytes = ring.readUInt32LE(at + 8);
    const userBytes = ring.readUInt16LE(at + 12);
    const end = at + HEADER + lineBytes;
    return {
      line: ring.toString('utf8', at + HEADER, end),
      user: userBytes === NO_USER ? undefined : ring.toString('utf8', end, end + userBytes),
      previous: ring.readDoubleLE(at),
    };
  }
}

/**
 * The last few matched lines (and user names) per host of one jail, for the ban ticket, in a
 * {@link MatchRing} (shared by the jails of a daemon). A flood of failures overwrites old records: a ban
 * then shows the lines of its host still in the ring (always the one that triggered it). Hosts are bounded
 * too: at most 10,000 keep lines (the longest known go first); the others still get banned. A host's place
 * in the ring (its newest record, how many it has, when it was last seen) is kept in typed arrays indexed
 * by a slot the map holds, so a failure allocates nothing that outlives it.
 */
export class RecentMatches {
  /**
   * Host → slot in the arrays below. Not a `Map`: with a new host for each line (a flood from many hosts)
   * the oldest of the 10,000 goes for each new one, and a `Map` then grew a new table every few thousand
   * lines, each garbage (half a MB, once the map was old) until the next full GC. An {@link OrderedHostMap}
   * compacts its columns in place, and holds no string per IPv4 host.
   */
  private readonly hosts = new OrderedHostMap();
  private newest = new Float64Array(0);
  private last = new Float64Array(0);
  private count = new Uint8Array(0);
  private readonly pool = new SlotPool();

  constructor(private readonly ring: MatchRing = new MatchRing()) {}

  add(host: string, line: string, user: string | undefined, time: number): void {
    // Hosts stay in first-seen order (no delete + set per line: that churns the map's columns).
    let slot = this.hosts.get(host);
    if (slot === undefined) {
      if (this.hosts.size >= MAX_HOSTS) this.dropAt(this.hosts.first());
      slot = this.allocate();
      this.hosts.set(host, slot);
    }
    const newest = this.newest;
    this.last[slot] = time;
    const text = line.length > MAX_KEPT_LINE ? `${line.slice(0, MAX_KEPT_LINE)}…` : line;
    const n = this.count[slot]!;
    const start = this.ring.append(n > 0 ? newest[slot]! : -1, text, user !== undefined && user.length <= MAX_KEPT_USER ? user : undefined);
    if (start >= 0) {
      newest[slot] = start;
      this.count[slot] = Math.min(n + 1, LINES_PER_HOST);
    }
  }

  /** Remove and return what was kept for `host`: the lines the ring still holds and their users, oldest first. */
  take(host: string): { lines: string[]; users: string[] } {
    const slot = this.hosts.get(host);
    const lines: string[] = [];
    const users: string[] = [];
    if (slot === undefined) return { lines, users };
    let start = this.newest[slot]!;
    const n = this.count[slot]!;
    this.dropAt(this.hosts.find(host));
    for (let k = 0; k < n; k++) {
      const record = this.ring.read(start);
      if (record === undefined) break;
      lines.push(record.line);
      if (record.user !== undefined) users.push(record.user);
      start = record.previous;
    }
    lines.reverse();
    users.reverse();
    return { lines, users: [...new Set(users)] };
  }

  /** Drop hosts not seen since `before` (a full pass: hosts are in first-seen order, not last-seen). */
  expire(before: number): void {
    const hosts = this.hosts;
    for (let e = hosts.first(); e !== -1; e = hosts.next(e)) if (this.last[hosts.valueAt(e)]! <= before) this.dropAt(e);
    hosts.compact();
  }

  /** Drop the host of entry `e` of the map. */
  private dropAt(e: number): void {
    const slot = this.hosts.valueAt(e);
    this.hosts.deleteAt(e);
    this.count[slot] = 0;
    this.pool.give(slot);
  }

  private allocate(): number {
    const slot = this.pool.take();
    if (slot >= 0) return slot;
    // Grows by doubling up to MAX_HOSTS slots, the most ever in use.
    const slots = Math.min(MAX_HOSTS, Math.max(64, this.pool.capacity * 2));
    const newest = new Float64Array(slots);
    const last = new Float64Array(slots);
    const count = new Uint8Array(slots);
    newest.set(this.newest);
    last.set(this.last);
    count.set(this.count);
    this.newest = newest;
    this.last = last;
    this.count = count;
    this.pool.grow(slots);
    return this.pool.take();
  }

}
