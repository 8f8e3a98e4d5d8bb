import { detach } from '../parsing/detach-string.js';
import type { Failure } from '../contract/filter-definition.js';

/** What is remembered for one correlation id (e.g. one sshd process). */
export interface CorrelationEntry {
  host: string | undefined;
  user: string | undefined;
  /** `pending` failures waiting for the connection to end. */
  pending: Failure[] | undefined;
  /** Whether a failure of this id was counted (a `fallback` line then adds none). */
  counted: boolean;
  /**
   * Failures of host-less `fail`/`pending` lines that came before the id had a host: they wait for a later
   * line of the id that supplies one (at most {@link CORRELATION_MAX_WAITING}).
   */
  waiting: Waiting[] | undefined;
  /** Time of the last line of this id (ms). */
  last: number;
  /** When the entry was (re)inserted into the map: entries sit in this order. */
  since: number;
}

/** A host-less failure waiting for its host; `host` is filled in once known. */
export interface Waiting {
  readonly kind: 'fail' | 'pending';
  readonly failure: Omit<Failure, 'host'>;
}

/** Most host-less (waiting) and most pending failures one id may hold: attacker-driven lines must stay bounded. */
export const CORRELATION_MAX_WAITING = 32;

/** Ids silent for this long are dropped with their pending and waiting failures. */
export const CORRELATION_EXPIRY_MS = 10 * 60_000;
/** At most this many ids are remembered; the least recently seen go first. */
export const CORRELATION_MAX_IDS = 100_000;

/** Fewest additions between two copies of the id map (see {@link CorrelationState.touch}). */
const COPY_AFTER = 4096;

/**
 * Per-id state for multi-line correlation. A Map keeps ids in insertion order, so eviction (when full)
 * drops the oldest id and expiry only looks at the front: a front entry that was touched since is moved to
 * the back instead of dropped, so each sweep costs what it removes or moves, never a scan of every id.
 */
export class CorrelationState {
  private entries = new Map<string, CorrelationEntry>();
  private readonly maxIds: number;
  private nextSweep = 0;
  /** Ids added since the map was last copied (see {@link touch}). */
  private added = 0;
  private peakSize = 0;

  constructor(maxIds = CORRELATION_MAX_IDS) {
    this.maxIds = maxIds;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Most ids held at once so far (a tool splitting a log by id checks it against the limit). */
  get peak(): number {
    return this.peakSize;
  }

  /** The entry of `id`, created when missing, marked as seen at `time`. */
  touch(id: string, time: number): CorrelationEntry {
    this.expire(time);
    let entry = this.live(id, time);
    if (entry) {
      if (time > entry.last) entry.last = time;
      return entry;
    }
    entry = {
      host: undefined,
      user: undefined,
      pending: undefined,
      waiting: undefined,
      counted: false,
      last: time,
      since: time,
    };
    if (this.entries.size >= this.maxIds) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    // Keys outlive their line: detach them from the read buffer they were cut from.
    this.entries.set(detach(id), entry);
    if (this.entries.size > this.peakSize) this.peakSize = this.entries.size;
    // Ids come and go all the time, and a Map grows a new table every so often to drop the deleted ones.
    // Once the map is in V8's old generation (any full GC moves it there), each new table is allocated
    // there too and stays as garbage until the next full GC: over a million lines, 20 MiB of peak RSS.
    // A copy now and then is young again; copying after as many additions as ids keeps it O(1) per id.
    if (++this.added >= Math.max(COPY_AFTER, this.entries.size)) {
      this.entries = new Map(this.entries);
      this.added = 0;
    }
    return entry;
  }

  /** The entry of `id` as held, without creating, touching or expiring it. */
  peek(id: string): CorrelationEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * The entry of `id` unless it has been silent for longer than {@link CORRELATION_EXPIRY_MS} at `time`
   * (then it is dropped now). The sweep drops such entries too, but only once a minute of log time and on
   * whichever line comes then: checked here, what a line finds no longer depends on when the last sweep
   * ran, so the same lines give the same failures however a log is split (test-filter's threads).
   */
  private live(id: string, time: number): CorrelationEntry | undefined {
    const entry = this.entries.get(id);
    if (entry !== undefined && time - entry.last > CORRELATION_EXPIRY_MS) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
    this.nextSweep = 0;
  }

  /** Drops ids silent for {@link CORRELATION_EXPIRY_MS}; runs at most once a minute of log time. */
  private expire(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + 60_000;
    const limit = now - CORRELATION_EXPIRY_MS;
    const moved: [string, CorrelationEntry][] = [];
    for (const [id, entry] of this.entries) {
      if (entry.since >= limit) break;
      this.entries.delete(id);
      if (entry.last >= limit) {
        entry.since = entry.last;
        moved.push([id, entry]);
      }
    }
    for (const [id, entry] of moved) this.entries.set(id, entry);
  }
}
