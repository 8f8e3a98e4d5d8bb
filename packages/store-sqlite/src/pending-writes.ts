import type { FailureRecord, SourcePosition, StoredBan } from '@portcullis/core';
import { toRow } from './ban-row.js';
import type { Statements } from './statements.js';

/**
 * Writes the database refused (a full disk, an I/O error), kept in memory until it takes them again.
 * Only the last state of each ban, position and host is kept — what the file must end up holding — plus
 * every history row (repeat offenders are counted from them). Banning goes on at full speed meanwhile:
 * queuing is a Map set, where a doomed write costs a rolled-back transaction.
 */
export class PendingWrites {
  /** jail\0ip → the ban, or null when it was lifted. */
  private readonly bans = new Map<string, StoredBan | null>();
  private readonly history: StoredBan[] = [];
  private readonly positions = new Map<string, SourcePosition>();
  /** jail\0host → the host's failures. */
  private readonly failures = new Map<string, FailureRecord>();

  /** Bans and unbans waiting (the figure the log reports). */
  get bansWaiting(): number {
    return this.bans.size;
  }

  get size(): number {
    return this.bans.size + this.history.length + this.positions.size + this.failures.size;
  }

  addBan(ban: StoredBan): void {
    this.bans.set(`${ban.jail}\0${ban.ip}`, ban);
    if (ban.reason !== 'restore') this.history.push(ban);
  }

  removeBan(jail: string, ip: string): void {
    this.bans.set(`${jail}\0${ip}`, null);
  }

  setPosition(key: string, position: SourcePosition): void {
    this.positions.set(key, position);
  }

  setFailures(record: FailureRecord): void {
    this.failures.set(`${record.jail}\0${record.host}`, record);
  }

  /** Write everything with `stmts` (the caller wraps it in one transaction), in the order it happened per kind. */
  writeTo(stmts: Statements): void {
    for (const ban of this.history) stmts.history.run(ban.jail, ban.ip, ban.time, Number.isFinite(ban.expires) ? ban.expires : null);
    for (const [key, ban] of this.bans) {
      if (ban) stmts.upsert.run(toRow(ban));
      else stmts.remove.run(...(key.split('\0') as [string, string]));
    }
    for (const [key, position] of this.positions) stmts.setPos.run(key, JSON.stringify(position));
    for (const f of this.failures.values()) stmts.setFailures(f.jail, f.host, f.times);
  }

  /** Forget it all: written, or superseded by a rebuild from memory. */
  clear(): void {
    this.bans.clear();
    this.history.length = 0;
    this.positions.clear();
    this.failures.clear();
  }
}
