import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BanStore, Logger, SourcePosition, StoredBan } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.js';

type Row = {
  jail: string;
  ip: string;
  family: number;
  time: number;
  bantime: number;
  expires: number | null;
  failures: number;
  ban_count: number;
  matches: string;
  users: string | null;
  reason: string | null;
};

/**
 * Bans, ban history and source positions in one SQLite file (better-sqlite3, WAL).
 * Durability: every ban is committed before any action is asked to apply it (the engine's order). With WAL
 * and `synchronous=NORMAL` a commit is in the WAL file when the call returns, so a crash or `kill -9` of
 * the daemon loses nothing; only a power cut could lose the last commits — and with them the kernel's
 * firewall state those bans lived in, which the next start rebuilds anyway. FULL would fsync every ban and
 * cap an attack of thousands of hosts at a few thousand bans per second on ordinary disks.
 */
export class SqliteBanStore implements BanStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly logger: Logger;

  private constructor(db: Database.Database, logger: Logger) {
    this.db = db;
    this.logger = logger;
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
      all: db.prepare('SELECT * FROM bans ORDER BY time'),
      ofJail: db.prepare('SELECT * FROM bans WHERE jail = ? ORDER BY time'),
      countJail: db.prepare('SELECT count(*) AS n FROM ban_history WHERE ip = ? AND jail = ? AND time >= ?'),
      countAll: db.prepare('SELECT count(*) AS n FROM ban_history WHERE ip = ? AND time >= ?'),
      purge: db.prepare('DELETE FROM ban_history WHERE time < ?'),
      getPos: db.prepare('SELECT value FROM positions WHERE key = ?'),
      setPos: db.prepare('INSERT INTO positions (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  /** Open (and create or migrate) the database at `path`; `:memory:` gives a private in-memory one. */
  static open(path: string, options: { logger?: Logger } = {}): SqliteBanStore {
    if (path !== ':memory:') {
      const dir = dirname(path);
      if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const db = new Database(path);
    if (path !== ':memory:') chmodSync(path, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return new SqliteBanStore(db, options.logger ?? silentLogger);
  }

  private readonly addTx = () =>
    this.db.transaction((ban: StoredBan) => {
      this.stmts.upsert.run({
        jail: ban.jail,
        ip: ban.ip,
        family: ban.family,
        time: ban.time,
        bantime: ban.bantime,
        expires: Number.isFinite(ban.expires) ? ban.expires : null,
        failures: ban.failures,
        ban_count: ban.banCount,
        matches: JSON.stringify(ban.matches.slice(-20)),
        users: ban.users ? JSON.stringify(ban.users) : null,
        reason: ban.reason ?? null,
      });
      if (ban.reason !== 'restore') this.stmts.history.run(ban.jail, ban.ip, ban.time, Number.isFinite(ban.expires) ? ban.expires : null);
    });
  private addOne: ((ban: StoredBan) => void) | undefined;

  addBan(ban: StoredBan): void {
    this.addOne ??= this.addTx();
    this.addOne(ban);
  }

  removeBan(jail: string, ip: string): boolean {
    return this.stmts.remove.run(jail, ip).changes > 0;
  }

  currentBans(jail?: string): StoredBan[] {
    const rows = (jail === undefined ? this.stmts.all.all() : this.stmts.ofJail.all(jail)) as Row[];
    return rows.map(toBan);
  }

  banCount(ip: string, jail: string | undefined, since: number): number {
    const row = (jail === undefined ? this.stmts.countAll.get(ip, since) : this.stmts.countJail.get(ip, jail, since)) as { n: number };
    return row.n;
  }

  purge(before: number): void {
    const { changes } = this.stmts.purge.run(before);
    if (changes > 0) {
      this.logger.debug({ removed: changes }, 'purged ban history');
      // Give the space back once a lot went away, so the file stays small after a long attack.
      if (changes > 10_000) this.db.exec('VACUUM');
    }
  }

  getPosition(key: string): SourcePosition | undefined {
    const row = this.stmts.getPos.get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as SourcePosition) : undefined;
  }

  setPosition(key: string, position: SourcePosition): void {
    this.stmts.setPos.run(key, JSON.stringify(position));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function toBan(r: Row): StoredBan {
  return {
    jail: r.jail,
    ip: r.ip,
    family: r.family === 6 ? 6 : 4,
    time: r.time,
    bantime: r.bantime,
    expires: r.expires === null ? Number.POSITIVE_INFINITY : r.expires,
    failures: r.failures,
    banCount: r.ban_count,
    matches: JSON.parse(r.matches) as string[],
    users: r.users ? (JSON.parse(r.users) as string[]) : undefined,
    reason: (r.reason ?? undefined) as StoredBan['reason'],
  };
}
