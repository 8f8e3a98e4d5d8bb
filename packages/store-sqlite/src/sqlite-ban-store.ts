import { existsSync, renameSync, rmSync } from 'node:fs';
import type { BanStore, FailureRecord, Logger, ProgressStore, ReadProgress, SourcePosition, StoreSnapshot, StoredBan } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import type Database from 'better-sqlite3';
import { fromRow, toRow } from './ban-row.js';
import { openDatabase } from './open-database.js';
import { PendingWrites } from './pending-writes.js';
import { KIND_IPV6, RESTORE_CHUNK, RESTORE_REASONS, type Statements, prepareStatements } from './statements.js';
import { checkFile, fileIdentity, headerLooksValid, isCorruption, isSqliteError, moveAside } from './store-file.js';

/** Purge reclaims space (VACUUM) only when at least this share of the file is free pages… */
const VACUUM_FREE_SHARE = 0.25;
/** …and at least this many pages (4 KiB each) are free: small files are not worth rewriting. */
const VACUUM_MIN_FREE_PAGES = 256;
/** The matched lines of a restored ban: not read, one shared empty list. */
const NO_LINES: readonly string[] = Object.freeze([]);
/** Default time between full checks of the file (`PRAGMA quick_check` on a second connection). */
const CHECK_INTERVAL = 10 * 60_000;

/** Why the file is not taking writes: the disk refuses them, or the file is no longer a sound store. */
type Fault = { readonly kind: 'refused'; readonly why: string } | { readonly kind: 'gone' } | { readonly kind: 'corrupt'; readonly why: string };

/** Options of {@link SqliteBanStore.open}. */
export interface SqliteStoreOptions {
  readonly logger?: Logger | undefined;
  /** Time between full checks of the file while running (ms; default 10 minutes, 0: never). */
  readonly checkInterval?: number | undefined;
}

/**
 * Bans, ban history, source positions and pending failures in one SQLite file (better-sqlite3, WAL).
 *
 * Durability: the engine writes every ban here before any action applies it. With WAL and
 * `synchronous=NORMAL` a commit is in the WAL file (the OS page cache) when `addBan` returns, so a crash or
 * `kill -9` of the daemon loses nothing — the test kills a writer with SIGKILL and finds every ban it
 * reported. Only an OS crash or power cut can lose the last commits, and it also loses the kernel's firewall
 * state those bans lived in; the next start re-reads the logs from the stored positions. FULL would fsync
 * every ban: 3× slower on a VM disk (7.9k vs 24k addBan/s, `bench/store-ops.mjs`), far worse on a disk
 * that really waits for the platter, and it is in the path of every ban during an attack.
 *
 * Faults: a write the disk refuses (full, I/O error) is kept in memory and written once it takes writes
 * again — logged once per episode, and banning keeps its speed. A file deleted, replaced or corrupted under
 * the daemon is noticed by {@link heal} (identity and header every call, a full check every
 * `checkInterval`), logged once with its path, and rebuilt: copied from the still-open deleted file, or from
 * the daemon's memory when the file is corrupt (moved aside first). A file corrupt at start is moved aside
 * too, and the store starts empty ({@link recovered} says where the old one went).
 */
export class SqliteBanStore implements BanStore, ProgressStore {
  private stmts: Statements;
  private identity: { dev: number; ino: number } | undefined;
  private fault: Fault | undefined;
  private readonly pending = new PendingWrites();
  private lastCheck = Date.now();
  private rebuildFailed = false;

  private constructor(
    private db: Database.Database,
    readonly path: string,
    /** Where a corrupt file found at start was moved, or undefined. */
    readonly recovered: string | undefined,
    private readonly logger: Logger,
    private readonly checkInterval: number,
  ) {
    this.stmts = prepareStatements(db);
    this.identity = path === ':memory:' ? undefined : fileIdentity(path);
  }

  /**
   * Open (creating and migrating as needed) the database at `path`; its folder is created with mode 0700
   * and the file is 0600. `':memory:'` gives a private in-memory database. A file that is not a sound
   * database is moved aside (`<path>.corrupt-<time>`, logged) and a new one created in its place.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteBanStore {
    const logger = options.logger ?? silentLogger;
    const checkInterval = options.checkInterval ?? CHECK_INTERVAL;
    let db: Database.Database;
    try {
      db = openChecked(path);
    } catch (error) {
      if (!isCorruption(error)) throw isSqliteError(error) ? new Error(`cannot open the ban database ${path}: ${(error as Error).message}`) : error;
      const aside = moveAside(path);
      logger.error(
        { path, movedTo: aside },
        `the ban database ${path} is corrupt (${(error as Error).message}): moved it to ${aside} and started a new one; bans the actions still hold are read back where they can list them`,
      );
      return new SqliteBanStore(openDatabase(path), path, aside, logger, checkInterval);
    }
    return new SqliteBanStore(db, path, undefined, logger, checkInterval);
  }

  addBan(ban: StoredBan): void {
    this.write(
      () => this.db.transaction(() => this.stmts.addBan(ban))(),
      () => this.pending.addBan(ban),
    );
  }

  /** A batch of lines' bans: one commit for all of them (a WAL commit costs ~40 µs of CPU, the insert ~5). */
  addBans(bans: readonly StoredBan[]): void {
    this.write(
      () =>
        this.db.transaction(() => {
          for (const ban of bans) this.stmts.addBan(ban);
        })(),
      () => {
        for (const ban of bans) this.pending.addBan(ban);
      },
    );
  }

  removeBan(jail: string, ip: string): boolean {
    let removed = true;
    this.write(
      () => {
        removed = this.stmts.remove.run(jail, ip).changes > 0;
      },
      () => this.pending.removeBan(jail, ip),
    );
    return removed;
  }

  /** Many at once (`unban --all`): one commit for a whole batch, ~5 µs a ban instead of a WAL commit (~40 µs) each. */
  removeBans(jail: string, ips: readonly string[]): number {
    let removed = ips.length;
    this.write(
      () => {
        removed = this.db.transaction(() => {
          let n = 0;
          for (const ip of ips) n += this.stmts.remove.run(jail, ip).changes;
          return n;
        })();
      },
      () => {
        for (const ip of ips) this.pending.removeBan(jail, ip);
      },
    );
    return removed;
  }

  currentBans(jail?: string, options: { lines?: boolean } = {}): StoredBan[] {
    const slim = options.lines === false;
    const s = this.stmts;
    const rows = jail === undefined ? (slim ? s.allSlim : s.all).all() : (slim ? s.ofJailSlim : s.ofJail).all(jail);
    return rows.map(fromRow);
  }

  /**
   * Rows are read in steps of {@link RESTORE_CHUNK} along the primary key, as arrays, unsorted: a restart
   * with a million bans holds a few thousand rows at a time, and one `all()` per step costs a third less
   * CPU than stepping an iterator row by row. No statement is left running between steps, so `visit` may
   * write to the store.
   */
  forEachCurrentBan(jail: string, visit: (ban: StoredBan) => void): void {
    let after = '';
    for (;;) {
      const rows = this.read(undefined, () => this.stmts.restoreOf.all(jail, after, RESTORE_CHUNK));
      if (!rows || rows.length === 0) return;
      // Indexed reads, not destructuring: a million rows through the array iterator cost a few tenths of a second.
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const expires = row[4];
        const kind = row[1];
        visit({
          jail,
          ip: row[0],
          family: kind >= KIND_IPV6 ? 6 : 4,
          time: row[2],
          bantime: row[3],
          expires: expires === null ? Number.POSITIVE_INFINITY : expires,
          failures: row[5],
          banCount: row[6],
          matches: NO_LINES,
          reason: RESTORE_REASONS[kind & (KIND_IPV6 - 1)],
        });
      }
      if (rows.length < RESTORE_CHUNK) return;
      after = rows[rows.length - 1]![0];
    }
  }

  banCount(ip: string, jail: string | undefined, since: number): number {
    return this.read(0, () => {
      const row = jail === undefined ? this.stmts.countAll.get(ip, since) : this.stmts.countJail.get(ip, jail, since);
      return row?.n ?? 0;
    });
  }

  /** Drop history (and saved failures) older than `before`; VACUUM when a good part of the file became free. */
  purge(before: number): void {
    if (this.fault) return;
    const { changes } = this.stmts.purge.run(before);
    this.stmts.purgeFailures.run(before);
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
    const row = this.read(undefined, () => this.stmts.getPos.get(key));
    return row ? (JSON.parse(row.value) as SourcePosition) : undefined;
  }

  /** One prepared upsert, a few microseconds (the daemon saves positions with {@link saveProgress} instead). */
  setPosition(key: string, position: SourcePosition): void {
    this.write(
      () => this.stmts.setPos.run(key, JSON.stringify(position)),
      () => this.pending.setPosition(key, position),
    );
  }

  /** Positions and failure changes in one transaction. */
  saveProgress(progress: ReadProgress): void {
    this.write(
      () =>
        this.db.transaction(() => {
          for (const [key, position] of progress.positions) this.stmts.setPos.run(key, JSON.stringify(position));
          this.stmts.failureRows.write(progress.failures);
        })(),
      () => {
        for (const [key, position] of progress.positions) this.pending.setPosition(key, position);
        for (const f of progress.failures) this.pending.setFailures(f);
      },
    );
  }

  failures(jail: string): FailureRecord[] {
    return this.read([], () => this.stmts.failuresOf.all(jail)).map((r) => ({ jail, host: r.host, times: r.times.split(',').map(Number) }));
  }

  /**
   * About once a second: notice a deleted, replaced or corrupt file (identity and header each call, a full
   * check every `checkInterval`) and rebuild it; write what a refusing disk held back once it takes writes.
   */
  heal(current: () => StoreSnapshot): void {
    if (this.path === ':memory:') return;
    if (this.fault === undefined || this.fault.kind === 'refused') this.detect();
    if (this.fault === undefined) return;
    if (this.fault.kind === 'refused') this.retry();
    else this.rebuild(current);
  }

  /**
   * Engine state (active campaigns, recent logins) shares the key/value `positions` table under a `state:`
   * prefix: source keys are paths and journal ids, never starting with it.
   */
  readState(key: string): string | undefined {
    return this.read(undefined, () => this.stmts.getPos.get(`state:${key}`)?.value);
  }

  writeState(key: string, value: string | undefined): void {
    // Best effort through a refusing disk: campaigns and logins are saved again at the next change.
    this.write(
      () => (value === undefined ? this.stmts.delPos.run(`state:${key}`) : this.stmts.setPos.run(`state:${key}`, value)),
      () => {},
    );
  }

  close(): void {
    if (this.fault?.kind === 'refused') this.retry();
    if (this.db.open) this.db.close();
  }

  private detect(): void {
    const id = fileIdentity(this.path);
    if (!id || id.dev !== this.identity?.dev || id.ino !== this.identity?.ino) {
      this.setFault({ kind: 'gone' });
      return;
    }
    if (!headerLooksValid(this.path)) {
      this.setFault({ kind: 'corrupt', why: 'its header is not a SQLite header' });
      return;
    }
    const now = Date.now();
    if (this.checkInterval > 0 && now - this.lastCheck >= this.checkInterval) {
      this.lastCheck = now;
      const problem = checkFile(this.path);
      if (problem) this.setFault({ kind: 'corrupt', why: problem });
    }
  }

  /** Write through when the file takes writes; otherwise (or when this write fails) keep it for later. */
  private write(direct: () => void, queue: () => void): void {
    if (this.fault === undefined) {
      try {
        direct();
        return;
      } catch (error) {
        if (!isSqliteError(error)) throw error;
        this.failed(error);
      }
    }
    queue();
  }

  /** A read that cannot be answered (file closed or corrupt) gives `fallback`: banning must go on. */
  private read<T>(fallback: T, query: () => T): T {
    if (!this.db.open) return fallback;
    try {
      return query();
    } catch (error) {
      if (!isSqliteError(error)) throw error;
      this.failed(error);
      return fallback;
    }
  }

  private failed(error: unknown): void {
    const e = error as Error & { code: string };
    this.setFault(isCorruption(e) ? { kind: 'corrupt', why: e.message } : { kind: 'refused', why: `${e.code}: ${e.message}` });
  }

  /** Enter a fault and say so once; only a worse fault (the file lost, after a refusing disk) is logged again. */
  private setFault(fault: Fault): void {
    if (this.fault && (this.fault.kind !== 'refused' || fault.kind === 'refused')) return;
    this.fault = fault;
    const path = this.path;
    if (fault.kind === 'refused') {
      this.logger.error({ path }, `cannot write to the ban database ${path} (${fault.why}): bans go on and are kept in memory until it takes writes again`);
    } else if (fault.kind === 'gone') {
      this.logger.error({ path }, `the ban database ${path} was deleted or replaced while in use: rebuilding it`);
    } else {
      this.logger.error({ path }, `the ban database ${path} is corrupt (${fault.why}): moving it aside and rebuilding it from the bans in memory`);
    }
  }

  /** Write what was held back; on success the episode is over (and the log says so). */
  private retry(): void {
    const bans = this.pending.bansWaiting;
    try {
      this.db.transaction(() => this.pending.writeTo(this.stmts))();
    } catch (error) {
      if (isCorruption(error)) {
        this.fault = undefined;
        this.failed(error);
      }
      return;
    }
    this.pending.clear();
    this.fault = undefined;
    this.logger.info({ path: this.path, bans }, `the ban database ${this.path} takes writes again: wrote ${bans} ban change(s) kept in memory`);
  }

  /**
   * Replace a lost file. A deleted one is still open: `VACUUM INTO` copies all of it (history and matched
   * lines included), then what was held back is written. A corrupt one is moved aside and the new file gets
   * what the daemon holds in memory.
   */
  private rebuild(current: () => StoreSnapshot): void {
    const kind = this.fault?.kind;
    const path = this.path;
    const copy = `${path}.rebuild-${process.pid}`;
    let copied = false;
    if (kind === 'gone' && this.db.open) {
      try {
        rmSync(copy, { force: true });
        this.db.prepare('VACUUM INTO ?').run(copy);
        copied = true;
      } catch {
        rmSync(copy, { force: true });
      }
    }
    try {
      if (this.db.open) this.db.close();
    } catch {
      // A corrupt file may refuse its last checkpoint: it is being replaced anyway.
    }
    try {
      if (kind === 'corrupt' && existsSync(path)) {
        const aside = moveAside(path);
        this.logger.warn({ path, movedTo: aside }, `moved the corrupt ban database to ${aside}`);
      }
      // The WAL of the lost file must never be applied to the new one.
      for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
      if (copied) renameSync(copy, path);
      this.db = openDatabase(path);
      this.stmts = prepareStatements(this.db);
      this.identity = fileIdentity(path);
      let bans: number;
      if (copied) {
        bans = this.stmts.all.all().length + this.pending.bansWaiting;
        this.db.transaction(() => this.pending.writeTo(this.stmts))();
      } else {
        const snapshot = current();
        bans = snapshot.bans.length;
        this.db.transaction(() => writeSnapshot(this.stmts, snapshot))();
      }
      this.pending.clear();
      this.fault = undefined;
      this.rebuildFailed = false;
      this.logger.warn({ path, bans }, `rebuilt the ban database ${path} ${copied ? 'from the deleted file' : 'from memory'}: ${bans} ban(s)`);
    } catch (error) {
      rmSync(copy, { force: true });
      if (!this.rebuildFailed) this.logger.error({ err: error, path }, `cannot rebuild the ban database ${path}: ${(error as Error).message}; bans stay in memory, trying again`);
      this.rebuildFailed = true;
    }
  }
}

/** Open the file and make sure it reads as a sound database (a corrupt one throws a SQLITE_CORRUPT error). */
function openChecked(path: string): Database.Database {
  const db = openDatabase(path);
  if (path === ':memory:') return db;
  try {
    const rows = db.pragma('quick_check(1)') as { quick_check: string }[];
    const answer = rows[0]?.quick_check ?? 'ok';
    if (answer !== 'ok') throw Object.assign(new Error(`database disk image is malformed: ${answer}`), { code: 'SQLITE_CORRUPT' });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Every ban (with a history row, so repeat offenders still count), position and host of the snapshot. */
function writeSnapshot(stmts: Statements, snapshot: StoreSnapshot): void {
  for (const ban of snapshot.bans) {
    const row = toRow(ban);
    stmts.upsert.run(row);
    stmts.history.run(row.jail, row.ip, row.time, row.expires);
  }
  for (const [key, position] of snapshot.positions) stmts.setPos.run(key, JSON.stringify(position));
  for (const f of snapshot.failures) stmts.setFailures(f.jail, f.host, f.times);
}
