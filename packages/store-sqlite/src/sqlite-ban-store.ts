import type { BanStore, Logger, SourcePosition, StoredBan } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import type Database from 'better-sqlite3';
import { openDatabase } from './open-database.js';
import { type BanRow, fromRow, toRow } from './ban-row.js';

/** Purge reclaims space (VACUUM) only when at least this share of the file is free pages… */
const VACUUM_FREE_SHARE = 0.25;
/** …and at least this many pages (4 KiB each) are free: small files are not worth rewriting. */
const VACUUM_MIN_FREE_PAGES = 256;
/** A ban row without its matched lines and users, for `currentBans(jail, { lines: false })`. */
const SLIM_COLUMNS = `jail, ip, family, time, bantime, expires, failures, ban_count, '[]' AS matches, NULL AS users, reason`;

/**
 * Bans, ban history and source positions in one SQLite file (better-sqlite3, WAL).
 *
 * Durability: the engine writes every ban here before any action applies it. With WAL and
 * `synchronous=NORMAL` a commit is in the WAL file (the OS page cache) when `addBan` returns, so a crash or
 * `kill -9` of the daemon loses nothing — the test kills a writer with SIGKILL and finds every ban it
 * reported. Only an OS crash or power cut can lose the last commits, and it also loses the kernel's firewall
 * state those bans lived in; the next start re-reads the logs from the stored positions. FULL would fsync
 * every ban: 3× slower on a VM disk (7.9k vs 24k addBan/s, `bench/store-ops.mjs`), far worse on a disk
 * that really waits for the platter, and it is in the path of every ban during an attack.
 */
export class SqliteBanStore implements BanStore {
  private readonly stmts;
  private readonly insertBan: (ban: StoredBan) => void;
  private readonly deleteBans: (jail: string, ips: readonly string[]) => number;

  private constructor(
    private readonly db: Database.Database,
    private readonly logger: Logger,
  ) {
    // Prepared once: every call after that is a bind and a step.
    this.stmts = {
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
      ofJailSlim: db.prepare<[string], BanRow>(
        `SELECT ${SLIM_COLUMNS} FROM bans WHERE jail = ? ORDER BY time, ip`,
      ),
      countJail: db.prepare<[string, string, number], { n: number }>(
        'SELECT count(*) AS n FROM ban_history WHERE ip = ? AND jail = ? AND time >= ?',
      ),
      countAll: db.prepare<[string, number], { n: number }>(
        'SELECT count(*) AS n FROM ban_history WHERE ip = ? AND time >= ?',
      ),
      purge: db.prepare('DELETE FROM ban_history WHERE time < ?'),
      getPos: db.prepare<[string], { value: string }>('SELECT value FROM positions WHERE key = ?'),
      setPos: db.prepare(
        'INSERT INTO positions (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
    };
    // The current ban and its history row commit together: a repeat-offender count never misses a ban.
    this.insertBan = db.transaction((ban: StoredBan) => {
      const row = toRow(ban);
      this.stmts.upsert.run(row);
      // A ban re-applied at start ('restore') is the same ban, not a new offence.
      if (ban.reason !== 'restore') this.stmts.history.run(row.jail, row.ip, row.time, row.expires);
    });
    // One commit for a whole batch: ~5 µs a ban instead of a WAL commit (~40 µs) each.
    this.deleteBans = db.transaction((jail: string, ips: readonly string[]) => {
      let n = 0;
      for (const ip of ips) n += this.stmts.remove.run(jail, ip).changes;
      return n;
    });
  }

  /**
   * Open (creating and migrating as needed) the database at `path`; its folder is created with mode 0700
   * and the file is 0600. `':memory:'` gives a private in-memory database.
   */
  static open(path: string, options: { logger?: Logger } = {}): SqliteBanStore {
    return new SqliteBanStore(openDatabase(path), options.logger ?? silentLogger);
  }

  addBan(ban: StoredBan): void {
    this.insertBan(ban);
  }

  removeBan(jail: string, ip: string): boolean {
    return this.stmts.remove.run(jail, ip).changes > 0;
  }

  removeBans(jail: string, ips: readonly string[]): number {
    return this.deleteBans(jail, ips);
  }

  currentBans(jail?: string, options: { lines?: boolean } = {}): StoredBan[] {
    const slim = options.lines === false;
    const rows =
      jail === undefined
        ? (slim ? this.stmts.allSlim : this.stmts.all).all()
        : (slim ? this.stmts.ofJailSlim : this.stmts.ofJail).all(jail);
    return rows.map(fromRow);
  }

  banCount(ip: string, jail: string | undefined, since: number): number {
    const row =
      jail === undefined ? this.stmts.countAll.get(ip, since) : this.stmts.countJail.get(ip, jail, since);
    return row?.n ?? 0;
  }

  /** Drop history older than `before`; rewrite the file (VACUUM) when a good part of it became free. */
  purge(before: number): void {
    const { changes } = this.stmts.purge.run(before);
    if (changes === 0) return;
    this.logger.debug({ removed: changes }, 'purged ban history');
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    if (free >= VACUUM_MIN_FREE_PAGES && free >= pages * VACUUM_FREE_SHARE) {
      this.db.exec('VACUUM');
      // VACUUM goes through the WAL: truncate it too, or the space just freed would sit in the -wal file.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.logger.info({ pages, freed: free }, 'ban database compacted');
    }
  }

  getPosition(key: string): SourcePosition | undefined {
    const row = this.stmts.getPos.get(key);
    return row ? (JSON.parse(row.value) as SourcePosition) : undefined;
  }

  /** Called after every batch of lines: one prepared upsert, a few microseconds. */
  setPosition(key: string, position: SourcePosition): void {
    this.stmts.setPos.run(key, JSON.stringify(position));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
