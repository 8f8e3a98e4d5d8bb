import type { Detector, Observation, Verdict } from './detector.js';
import { FailureTracker } from './failure-tracker.js';
import type { TrackingBudget } from './tracking-budget.js';

/**
 * The default detector, fail2ban's rule: `maxretry` failures of one key (an address, or an IPv6 prefix)
 * inside `findtime` ban that key. Also used for subnet aggregation, keyed by the subnet.
 */
export class MaxretryDetector implements Detector {
  readonly tracker: FailureTracker;

  constructor(
    options: { findtime: number; maxretry: number },
    private readonly budget: TrackingBudget | undefined,
    /** The key a failure counts under (default: the observation's key). */
    private readonly keyOf: (o: Observation) => string = (o) => o.key,
    private readonly reason: Verdict['reason'] = 'failures',
  ) {
    this.tracker = new FailureTracker(options);
    budget?.register(this.tracker);
  }

  configure(options: { findtime: number; maxretry: number }): void {
    this.tracker.configure(options);
  }

  get size(): number {
    return this.tracker.size;
  }

  observe(o: Observation): Verdict | undefined {
    const key = this.keyOf(o);
    const before = this.tracker.size;
    const result = this.tracker.add(key, o.time);
    if (this.budget !== undefined && this.tracker.size > before) this.budget.charge(this.tracker);
    return result.ban ? { target: key, failures: result.count, reason: this.reason } : undefined;
  }

  expire(now: number): void {
    this.tracker.expire(now);
  }

  forget(key: string): void {
    this.tracker.forget(key);
  }

  /** Stop counting against the global cap (the jail is gone). */
  close(): void {
    this.budget?.unregister(this.tracker);
    this.tracker.clear();
  }
}
