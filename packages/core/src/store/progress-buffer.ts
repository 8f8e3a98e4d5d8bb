import type { PositionStore, SourcePosition } from '../contract/log-source.js';

/**
 * The read positions of the running sources, held in memory between saves. Sources set a position after
 * every batch of lines (microseconds, no I/O); the runtime takes the changed ones about once a second and
 * saves them in the same transaction as the failures those lines produced — a position saved alone could
 * run ahead of the failures (lost after a crash) or behind them (counted twice).
 */
export class ProgressBuffer implements PositionStore {
  private readonly latest = new Map<string, SourcePosition>();
  private readonly changed = new Map<string, SourcePosition>();

  /** `saved` answers for positions not set since the daemon started (those of the last run). */
  constructor(private readonly saved: { getPosition(key: string): SourcePosition | undefined }) {}

  getPosition(key: string): SourcePosition | undefined {
    return this.latest.get(key) ?? this.saved.getPosition(key);
  }

  setPosition(key: string, position: SourcePosition): void {
    this.latest.set(key, position);
    this.changed.set(key, position);
  }

  /** The positions set since the last call. */
  takeChanged(): Map<string, SourcePosition> {
    const out = new Map(this.changed);
    this.changed.clear();
    return out;
  }

  /** Every position set since the daemon started (to rebuild a lost store). */
  get all(): ReadonlyMap<string, SourcePosition> {
    return this.latest;
  }
}
