import type { BanTicket } from '../contract/ban-ticket.js';
import type { StoreSnapshot } from '../contract/ban-store.js';
import type { FailureRecord, ProgressStore } from '../contract/read-progress.js';
import type { Jail } from '../jail/jail.js';
import type { ProgressBuffer } from '../store/progress-buffer.js';

/**
 * Save the positions and failures changed since the last save as one unit. The runtime calls it between
 * batches of lines (a timer, and at stop), so the positions and the failures describe the same lines.
 */
export function saveProgress(jails: Iterable<Jail>, positions: ProgressBuffer, progress: ProgressStore): void {
  const failures: FailureRecord[] = [];
  for (const jail of jails) jail.failures(false, failures);
  const changed = positions.takeChanged();
  if (changed.size || failures.length) progress.saveProgress({ positions: changed, failures });
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
