import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';

/** The first 16 bytes of every SQLite database file. */
const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Device and inode of the file at `path`, or undefined when there is none. */
export function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** False when the file at `path` has a header no SQLite database has (overwritten, truncated). Cheap: 16 bytes. */
export function headerLooksValid(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(MAGIC.length);
    const n = readSync(fd, head, 0, head.length, 0);
    // An empty file is a database not yet written (SQLite writes page 1 with the first commit).
    return n === 0 || head.equals(MAGIC);
  } catch {
    // Gone or unreadable: the identity check reports it.
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Check the file as a restart would open it: a second, read-only connection (its own page cache, so it
 * reads the disk, not what our connection cached) running `PRAGMA quick_check`. Returns the problem, or
 * undefined when the file is sound. Costs a read of the whole file: run it rarely.
 */
export function checkFile(path: string): string | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma('quick_check(1)') as { quick_check: string }[];
    const answer = rows[0]?.quick_check ?? 'no answer';
    return answer === 'ok' ? undefined : answer;
  } catch (error) {
    return isCorruption(error) ? (error as Error).message : undefined;
  } finally {
    db?.close();
  }
}

/** True for the errors that say the file is not a sound database (rather than that the disk refused a write). */
export function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

/** True for any error SQLite reported (full disk, I/O, read-only, corruption…), as opposed to a bug of ours. */
export function isSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/**
 * Move a broken database out of the way, with its WAL and shared-memory files (a stale WAL must never be
 * applied to the new file): `x.db` becomes `x.db.corrupt-2026-01-02T03-04-05Z` (`…Z-1` when that name is
 * taken: a second failure within the same second). Returns the new path.
 */
export function moveAside(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replaceAll(':', '-');
  // Two failures within one second must not move the second file over the first: number the later ones.
  let aside = `${path}.corrupt-${stamp}`;
  for (let n = 1; n < 1000 && existsSync(aside); n++) aside = `${path}.corrupt-${stamp}-${n}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, aside + suffix);
  }
  return aside;
}
