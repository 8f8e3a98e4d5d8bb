/** What {@link FailureTracker.add} decided for a failure. */
export interface TrackResult {
  /** Failures of this host inside the window, this one included. */
  readonly count: number;
  /** True when the count reached maxretry: the caller bans, and the host's state is cleared. */
  readonly ban: boolean;
}

/**
 * Counts failures per host inside a sliding window of `findtime`. Memory is the point here: an attack
 * from a million hosts that fail once each must not keep a million arrays alive. A host with one failure
 * costs one Map entry holding a number; only hosts with several failures get an array (at most maxretry
 * long). Entries are updated in place; expiry is one pass over the map.
 */
export class FailureTracker {
  /** Total failures ever added (for status and metrics). */
  total = 0;
  private readonly hosts = new Map<string, number | number[]>();
  private findtime: number;
  private maxretry: number;

  constructor(options: { findtime: number; maxretry: number }) {
    this.findtime = options.findtime;
    this.maxretry = options.maxretry;
  }

  /** Change the limits (config reload); existing state is kept. */
  configure(options: { findtime: number; maxretry: number }): void {
    this.findtime = options.findtime;
    this.maxretry = options.maxretry;
  }

  /** Hosts with at least one failure inside the window (approximate until the next `expire`). */
  get size(): number {
    return this.hosts.size;
  }

  /** Record a failure of `host` at `time` (ms). Failures older than findtime relative to `time` drop out. */
  add(host: string, time: number): TrackResult {
    this.total++;
    const prev = this.hosts.get(host);
    const since = time - this.findtime;
    let times: number[];
    if (prev === undefined) {
      times = [time];
    } else if (typeof prev === 'number') {
      times = prev > since ? [prev, time] : [time];
    } else {
      times = prev;
      let drop = 0;
      while (drop < times.length && times[drop]! <= since) drop++;
      if (drop) times.splice(0, drop);
      times.push(time);
      if (times.length > this.maxretry) times.splice(0, times.length - this.maxretry);
    }
    if (times.length >= this.maxretry) {
      this.hosts.delete(host);
      return { count: times.length, ban: true };
    }
    // Set in place: the map keeps first-seen order. (Moving the host to the end on every failure churned
    // the map's tables, tens of MB a second under a flood.)
    this.hosts.set(host, times.length === 1 ? times[0]! : times);
    return { count: times.length, ban: false };
  }

  /** Failures of `host` inside the window ending at `now`. */
  count(host: string, now: number): number {
    const entry = this.hosts.get(host);
    if (entry === undefined) return 0;
    const since = now - this.findtime;
    if (typeof entry === 'number') return entry > since ? 1 : 0;
    return entry.filter((t) => t > since).length;
  }

  /** Forget a host (after a ban, or an unban by hand). */
  forget(host: string): void {
    this.hosts.delete(host);
  }

  /** Drop hosts whose newest failure is older than findtime: one pass over the hosts (run every ~30 s). */
  expire(now: number): number {
    const since = now - this.findtime;
    let removed = 0;
    for (const [host, entry] of this.hosts) {
      const newest = typeof entry === 'number' ? entry : entry[entry.length - 1]!;
      if (newest > since) continue;
      this.hosts.delete(host);
      removed++;
    }
    return removed;
  }

  clear(): void {
    this.hosts.clear();
  }
}
