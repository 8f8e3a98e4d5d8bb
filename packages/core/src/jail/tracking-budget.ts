import type { Logger } from '../util/logger.js';

/** What the budget needs from a per-key counter. */
export interface Trackable {
  readonly size: number;
  /** Drop the `n` entries seen first; returns how many went. */
  evictOldest(n: number): number;
  /** When the entry seen first was seen (ms; +Infinity when empty). */
  oldest(): number;
}

/** How often the budget says it is evicting, at most (ms). */
const LOG_EVERY = 60_000;

/**
 * The global cap on failure state (`maxtracked`): every jail's per-host, per-prefix and per-subnet counters
 * together hold at most `cap` entries (campaigns' per-host counters too). When a new entry goes over it,
 * the oldest entry of all goes: each counter keeps its entries in first-seen order, so the oldest is the
 * first entry of one of a handful of counters — under address rotation the oldest failure state is the
 * least likely to reach maxretry. Evicting is logged at most once a minute and counted for metrics.
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

  /** Called after `member` added an entry: evict the oldest entries of all while the total is over the cap. */
  charge(member: Trackable): void {
    // A sum over a handful of members (a few per jail): cheap enough for every new entry.
    let over = this.used - this.cap;
    if (over <= 0) return;
    let gone = 0;
    // Usually one entry; bounded by the excess (a lowered cap) and by what the members hold.
    while (over > 0) {
      const from = this.oldestMember(member);
      if (from === undefined || from.evictOldest(1) === 0) break;
      gone++;
      over--;
    }
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

  /** The member whose first entry is the oldest; `grew` never gives up the entry it just added. */
  private oldestMember(grew: Trackable): Trackable | undefined {
    let best: Trackable | undefined;
    let at = Number.POSITIVE_INFINITY;
    for (const m of this.members) {
      if (m.size === 0 || (m === grew && m.size === 1)) continue;
      const t = m.oldest();
      if (best === undefined || t < at) {
        best = m;
        at = t;
      }
    }
    return best;
  }
}
