import type { BanTicket } from '../contract/ban-ticket.js';
import type { StoreSnapshot } from '../contract/ban-store.js';
import type { FailureRecord, ProgressStore } from '../contract/read-progress.js';
import type { Jail } from '../jail/jail.js';
import type { ProgressBuffer } from '../store/progress-buffer.js';

/**
 * Save the positions and failures changed since the last save as one unit. The runtime calls it between
 * batches of lines (a timer, and at stop), so the positions and the failures describe the same lines. The
 * failures go to the store as records built while it writes them, never as a list: under a flood a save
 * holds a second's worth of new hosts, and a list of them all would live long enough to be promoted to V8's
 * old generation, to stay there as garbage until the next full GC.
 */
export function saveProgress(jails: Iterable<Jail>, positions: ProgressBuffer, progress: ProgressStore): void {
  const list = [...jails];
  const changed = positions.takeChanged();
  try {
    if (changed.size || list.some((j) => j.failuresChanged)) progress.saveProgress({ positions: changed, failures: changedFailures(list) });
  } finally {
    // Forgotten even when the store threw, as positions are: what a save holds stays bounded.
    for (const jail of list) jail.clearFailureChanges();
  }
}

/** The changed failures of `jails`, built as they are visited; visiting again gives them again. */
function changedFailures(jails: readonly Jail[]): Iterable<FailureRecord> {
  return {
    *[Symbol.iterator]() {
      for (const jail of jails) yield* jail.changedFailures();
    },
  };
}

/** The state in memory (bans, every host's failures, positions), for a store that must rebuild itself. */
export function memorySnapshot(jails: Iterable<Jail>, positions: ProgressBuffer | undefined): StoreSnapshot {
  const bans: BanTicket[] = [];
  const failures: FailureRecord[] = [];
  for (const jail of jails) {
    for (const t of jail.currentBans()) bans.push(t);
    jail.failures(true, failures);
  }
  return { bans, failures, positions: positions?.all ?? new Map() };
}
