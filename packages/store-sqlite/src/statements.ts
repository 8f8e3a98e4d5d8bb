import type { StoredBan } from '@portcullis/core';
import type Database from 'better-sqlite3';
import type { BanRow } from './ban-row.js';
import { toRow } from './ban-row.js';
import { FailureRows, timesText } from './failure-rows.js';

/** A ban row without its matched lines and users, for `currentBans(jail, { lines: false })`. */
const SLIM_COLUMNS = `jail, ip, family, time, bantime, expires, failures, ban_count, '[]' AS matches, NULL AS users, reason`;

/**
 * `ip, kind, time, bantime, expires, failures, ban_count` of a `bans` row, where `kind` is the reason's index in
 * {@link RESTORE_REASONS} plus {@link KIND_IPV6} for an IPv6 family: one column fewer, as each column of a
 * million rows costs ~0.08 s of a restart's CPU to hand to JavaScript.
 */
export type RestoreRow = [string, number, number, number, number | null, number, number];

/** Added to the reason's index in a {@link RestoreRow}'s `kind` when the row's family is 6. */
export const KIND_IPV6 = 8;

/** Reasons a row may hold, by the number `restoreOf` gives them (0: none, or one this release does not know). */
export const RESTORE_REASONS = [undefined, 'failures', 'manual', 'restore', 'subnet', 'campaign'] as const;

/**
 * Rows a restart reads per step of {@link Statements.restoreOf}. A step's rows live until the step is
 * visited, so each young-generation collection meanwhile copies them: with the service's 2 MiB semi-space,
 * 4096 rows (~600 KB of arrays, strings and numbers) made scavenges cost 0.1–0.3 s of a million-ban restart;
 * 512 keep them small, for ~2,000 more statement steps (a few ms).
 */
export const RESTORE_CHUNK = 512;

/** The reason column as its index in {@link RESTORE_REASONS}: a number per row instead of a new string. */
const REASON_INDEX = `CASE reason ${RESTORE_REASONS.slice(1)
  .map((r, i) => `WHEN '${r}' THEN ${i + 1}`)
  .join(' ')} ELSE 0 END`;

type Stmt<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/** The prepared statements of one open database (prepared again when the file is rebuilt). */
export interface Statements {
  readonly upsert: Stmt;
  readonly history: Stmt;
  readonly remove: Stmt;
  readonly all: Stmt<[], BanRow>;
  readonly ofJail: Stmt<[string], BanRow>;
  readonly allSlim: Stmt<[], BanRow>;
  readonly ofJailSlim: Stmt<[string], BanRow>;
  /**
   * The current bans of a jail for a restart, after the address `after` and at most `limit` of them, as
   * arrays: no lines, and the primary key's order (no sort of a million rows).
   */
  readonly restoreOf: Stmt<[string, string, number], RestoreRow>;
  readonly countJail: Stmt<[string, string, number], { n: number }>;
  readonly countAll: Stmt<[string, number], { n: number }>;
  readonly purge: Stmt;
  readonly purgeFailures: Stmt;
  readonly getPos: Stmt<[string], { value: string }>;
  readonly setPos: Stmt;
  readonly delPos: Stmt;
  readonly failuresOf: Stmt<[string], { host: string; times: string }>;
  addBan(ban: StoredBan): void;
  setFailures(jail: string, host: string, times: readonly number[]): void;
  /** A save's failure records, many rows a statement (see {@link FailureRows}). */
  readonly failureRows: FailureRows;
}

/** Prepare every statement once: each call after that is a bind and a step. */
export function prepareStatements(db: Database.Database): Statements {
  const s = {
    upsert: db.prepare(
      `INSERT INTO bans (jail, ip, family, time, bantime, expires, failures, ban_count, matches, users, reason)
       VALUES (@jail, @ip, @family, @time, @bantime, @expires, @failures, @ban_count, @matches, @users, @reason)
       ON CONFLICT (jail, ip) DO UPDATE SET family = excluded.family, time = excluded.time, bantime = excluded.bantime,
         expires = excluded.expires, failures = excluded.failures, ban_count = excluded.ban_count,
         matches = excluded.matches, users = excluded.users, reason = excluded.reason`,
    ),
    history: db.prepare('INSERT INTO ban_history (jail, ip, time, expires) VALUES (?, ?, ?, ?)'),
    remove: db.prepare('DELETE FROM bans WHERE jail = ? AND ip = ?'),
    all: db.prepare<[], BanRow>('SELECT * FROM bans ORDER BY time, jail, ip'),
    ofJail: db.prepare<[string], BanRow>('SELECT * FROM bans WHERE jail = ? ORDER BY time, ip'),
    allSlim: db.prepare<[], BanRow>(`SELECT ${SLIM_COLUMNS} FROM bans ORDER BY time, jail, ip`),
    ofJailSlim: db.prepare<[string], BanRow>(`SELECT ${SLIM_COLUMNS} FROM bans WHERE jail = ? ORDER BY time, ip`),
    restoreOf: db
      .prepare<[string, string, number], RestoreRow>(
        `SELECT ip, (family = 6) * ${KIND_IPV6} + ${REASON_INDEX}, time, bantime, expires, failures, ban_count FROM bans WHERE jail = ? AND ip > ? ORDER BY ip LIMIT ?`,
      )
      .raw(true),
    countJail: db.prepare<[string, string, number], { n: number }>(
      'SELECT count(*) AS n FROM ban_history WHERE ip = ? AND jail = ? AND time >= ?',
    ),
    countAll: db.prepare<[string, number], { n: number }>('SELECT count(*) AS n FROM ban_history WHERE ip = ? AND time >= ?'),
    purge: db.prepare('DELETE FROM ban_history WHERE time < ?'),
    purgeFailures: db.prepare('DELETE FROM failures WHERE newest < ?'),
    getPos: db.prepare<[string], { value: string }>('SELECT value FROM positions WHERE key = ?'),
    setPos: db.prepare('INSERT INTO positions (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    delPos: db.prepare('DELETE FROM positions WHERE key = ?'),
    setFailures: db.prepare(
      'INSERT INTO failures (jail, host, times, newest) VALUES (?, ?, ?, ?) ON CONFLICT (jail, host) DO UPDATE SET times = excluded.times, newest = excluded.newest',
    ),
    dropFailures: db.prepare('DELETE FROM failures WHERE jail = ? AND host = ?'),
    failuresOf: db.prepare<[string], { host: string; times: string }>('SELECT host, times FROM failures WHERE jail = ?'),
  };
  return {
    ...s,
    failureRows: new FailureRows(db),
    /** Upsert the current ban and (unless it is a restore, the same ban again) add it to the history. */
    addBan(ban: StoredBan): void {
      const row = toRow(ban);
      s.upsert.run(row);
      if (ban.reason !== 'restore') s.history.run(row.jail, row.ip, row.time, row.expires);
    },
    /** Save a host's failures, or drop its row when it has none left. */
    setFailures(jail: string, host: string, times: readonly number[]): void {
      if (times.length === 0) {
        s.dropFailures.run(jail, host);
        return;
      }
      s.setFailures.run(jail, host, timesText(times), Math.round(times[times.length - 1]!));
    },
  };
}
