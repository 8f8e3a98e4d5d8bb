import type { FailureRecord } from '@portcullis/core';
import type Database from 'better-sqlite3';

/**
 * Rows per multi-row upsert. The daemon saves about a second's worth of changed hosts at a time (tens of
 * thousands during an attack): one statement step per 64 rows instead of per row takes about a quarter
 * off the save's CPU (the B-tree work stays the same).
 */
const ROWS = 64;

const UPSERT = (rows: number) =>
  `INSERT INTO failures (jail, host, times, newest) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ')}
   ON CONFLICT (jail, host) DO UPDATE SET times = excluded.times, newest = excluded.newest`;

/** Failure times as the `times` column holds them: whole ms, comma-separated, oldest first. */
export function timesText(times: readonly number[]): string {
  let text = `${Math.round(times[0]!)}`;
  for (let i = 1; i < times.length; i++) text += `,${Math.round(times[i]!)}`;
  return text;
}

/**
 * Writes a save's failure records: hosts with times are upserted {@link ROWS} at a time, forgotten hosts
 * (no times) deleted. Rows are written in an order of their own, so a save must hold at most one record
 * per jail and host (the runtime's saves do: their hosts come from a set).
 */
export class FailureRows {
  private readonly many: Database.Statement;
  private readonly one: Database.Statement;
  private readonly drop: Database.Statement;
  /** Parameters of the rows waiting for the next multi-row upsert (reused: no array per save). */
  private readonly params: unknown[] = [];

  constructor(db: Database.Database) {
    this.many = db.prepare(UPSERT(ROWS));
    this.one = db.prepare(UPSERT(1));
    this.drop = db.prepare('DELETE FROM failures WHERE jail = ? AND host = ?');
  }

  /** Write `records` (the caller holds the transaction). */
  write(records: Iterable<FailureRecord>): void {
    const params = this.params;
    params.length = 0;
    for (const f of records) {
      const times = f.times;
      if (times.length === 0) {
        this.drop.run(f.jail, f.host);
        continue;
      }
      params.push(f.jail, f.host, timesText(times), Math.round(times[times.length - 1]!));
      if (params.length === ROWS * 4) {
        this.many.run(params);
        params.length = 0;
      }
    }
    for (let i = 0; i < params.length; i += 4) this.one.run(params[i], params[i + 1], params[i + 2], params[i + 3]);
    params.length = 0;
  }
}
