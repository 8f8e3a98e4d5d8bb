import type { Logger } from '../util/logger.js';

/** What the budget needs from a per-key counter. */
export interface Trackable {
  readonly size: number;
  /** Drop the `n` entries seen first; returns how many went. */
  evictOldest(n: number): number;
}

/** How often the budget says it is evicting, at most (ms). */
const LOG_EVERY = 60_000;

/**
 * The global cap on failure state (`maxtracked`): every jail's per-host, per-prefix and per-subnet counters
 * together hold at most `cap` entries. When a new entry goes over it, the counter that grew gives up its
 * oldest entries — under address rotation the oldest failure state is the least likely to reach maxretry.
 * Evicting is logged at most once a minute and counted for metrics.
 */
export class TrackingBudget {
  private readonly members: Trackable[] = [];
  /** Entries evicted since start. */
  evicted = 0;
  private lastLog = Number.NEGATIVE_INFINITY;
  private sinceLog = 0;

  constructor(
    public cap: number,
    private readonly logger: Logger,
    private readonly onEvicted?: (count: number) => void,
    private readonly clock: () => number = Date.now,
  ) {}

  register(member: Trackable): void {
    if (!this.members.includes(member)) this.members.push(member);
  }

  unregister(member: Trackable): void {
    const i = this.members.indexOf(member);
    if (i !== -1) this.members.splice(i, 1);
  }

  /** Entries held by every member. */
  get used(): number {
    let n = 0;
    for (const m of this.members) n += m.size;
    return n;
  }

  /** Called after `member` added an entry: evict its oldest ones while the total is over the cap. */
  charge(member: Trackable): void {
    // A sum over a handful of members (a few per jail): cheap enough for every new entry.
    const over = this.used - this.cap;
    if (over <= 0) return;
    const gone = member.evictOldest(Math.min(over, Math.max(0, member.size - 1)));
    if (gone === 0) return;
    this.evicted += gone;
    this.sinceLog += gone;
    this.onEvicted?.(gone);
    const now = this.clock();
    if (now - this.lastLog >= LOG_EVERY) {
      this.logger.warn(
        { evicted: this.sinceLog, maxtracked: this.cap },
        `failure state is at maxtracked (${this.cap}): evicting the oldest entries (${this.sinceLog} in the last minute)`,
      );
      this.lastLog = now;
      this.sinceLog = 0;
    }
  }
}
