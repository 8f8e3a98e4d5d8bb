import type { BanTicket } from './ban-ticket.js';
import type { PositionStore, SourcePosition } from './log-source.js';
import type { FailureRecord } from './read-progress.js';

/** A ban as the store keeps it. */
export type StoredBan = BanTicket;

/**
 * Persistence for bans, their history (for repeat offenders) and source positions. The engine writes
 * a ban to the store before it asks any action to apply it, so a crash never loses a reported ban.
 * Methods are synchronous: the embedded stores (memory, SQLite) are fast enough and it keeps the
 * write-before-apply ordering simple.
 */
export interface BanStore extends PositionStore {
  /** Record a ban (insert or replace the current ban of jail+ip) and add it to the history. */
  addBan(ban: StoredBan): void;
  /**
   * Record several bans in one go (one transaction): a burst of lines that bans thousands of hosts a
   * second would otherwise pay a commit per ban. Optional: without it the engine calls
   * {@link BanStore.addBan} for each. The engine still writes them before any action applies them.
   */
  addBans?(bans: readonly StoredBan[]): void;
  /** Remove the current ban of jail+ip (history stays). Returns true when one was removed. */
  removeBan(jail: string, ip: string): boolean;
  /**
   * Remove the current bans of jail+each address in one go (one transaction): `unban --all` lifts a
   * million bans a batch at a time, and a commit per ban would take minutes. Optional: without it the
   * engine calls {@link BanStore.removeBan} for each. Returns how many were removed.
   */
  removeBans?(jail: string, ips: readonly string[]): number;
  /**
   * Current bans, optionally of one jail, including expired ones not yet removed. With `lines: false` a store
   * may leave out the matched lines and users (`matches: []`): a restart needs neither, and reading them for
   * every ban would briefly hold them all in memory.
   */
  currentBans(jail?: string, options?: { lines?: boolean }): StoredBan[];
  /**
   * Optional: hand each current ban of `jail` to `visit`, without matched lines or users, one at a time — a
   * restart with a million bans then never holds them all as objects. Without it the engine reads
   * `currentBans(jail, { lines: false })`.
   */
  forEachCurrentBan?(jail: string, visit: (ban: StoredBan) => void): void;
  /** How many times jail+ip (or ip in any jail when `jail` is undefined) was banned since `since`. */
  banCount(ip: string, jail: string | undefined, since: number): number;
  /** Drop history older than the given time (ms since the epoch). */
  purge(before: number): void;
  /**
   * Optional, called about once a second: write what could not be written (a full disk), and check that the
   * backing file is still the store's (not deleted, replaced or corrupted). When it is not, the store says so
   * once (with its path) and rebuilds itself from `current()` — the state the daemon holds in memory — so a
   * restart loses nothing.
   */
  heal?(current: () => StoreSnapshot): void;
  close(): void;
  /**
   * Small named state the engine keeps across restarts (a jail's active campaigns and recent successful
   * logins), as text. Optional: a store without it loses that state on restart.
   */
  readState?(key: string): string | undefined;
  /** Write (or with `undefined`, remove) named state; see {@link BanStore.readState}. */
  writeState?(key: string, value: string | undefined): void;
}

/** Everything a store needs to rebuild itself from the daemon's memory. */
export interface StoreSnapshot {
  readonly bans: readonly StoredBan[];
  readonly positions: ReadonlyMap<string, SourcePosition>;
  readonly failures: readonly FailureRecord[];
}
