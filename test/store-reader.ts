import { createRequire } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from './daemon-process.js';

/** better-sqlite3 as the store package resolves it (the e2e package does not depend on it directly). */
export const betterSqlitePath: string = createRequire(join(repoRoot, 'packages/store-sqlite/package.json')).resolve('better-sqlite3');

type Db = { prepare(sql: string): { get(): unknown }; close(): void };
const Database = createRequire(import.meta.url)(betterSqlitePath) as new (path: string, options: object) => Db;

/** Run one `SELECT count(*) AS n …` on the daemon's database through a read-only connection of our own. */
export function countRows(path: string, sql: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
