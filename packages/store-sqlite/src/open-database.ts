import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './schema.js';

/**
 * Open the SQLite file (creating its folder 0700 and the file 0600: it holds log lines and addresses),
 * switch to WAL with `synchronous=NORMAL` (see {@link SqliteBanStore} for why that is enough), and bring
 * the schema up to date: `PRAGMA user_version` counts the migrations applied; each runs in a transaction.
 * A file written by a newer release (more migrations than we know) is refused rather than misread.
 */
export function openDatabase(path: string): Database.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Create it with its final mode, so it is never readable by others, not even for a moment.
    closeSync(openSync(path, 'a', 0o600));
  }
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    // SQLite's own default page cache (2 MiB; better-sqlite3 builds with 16 MiB). The working set is the
    // indexes of current bans and recent history; the rest is read rarely (status, restart).
    db.pragma('cache_size = -2048');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `${path} has schema version ${version}, newer than this @portcullis/store-sqlite knows (${MIGRATIONS.length}); upgrade portcullis or use another database file`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v] ?? '');
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
