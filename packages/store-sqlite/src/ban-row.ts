import type { StoredBan } from '@portcullis/core';

/** A row of the `bans` table. */
export interface BanRow {
  jail: string;
  ip: string;
  family: number;
  time: number;
  bantime: number;
  /** NULL for a permanent ban (`expires: Infinity`, which SQLite cannot store as a number). */
  expires: number | null;
  failures: number;
  ban_count: number;
  /** JSON array of the matched log lines. */
  matches: string;
  /** JSON array of user names, or NULL. */
  users: string | null;
  reason: string | null;
}

/** Matched lines kept per ban: enough to explain it, bounded so a flood of long lines stays small. */
const MAX_MATCHES = 20;

/** A ban as a row. */
export function toRow(ban: StoredBan): BanRow {
  return {
    jail: ban.jail,
    ip: ban.ip,
    family: ban.family,
    time: ban.time,
    bantime: ban.bantime,
    expires: Number.isFinite(ban.expires) ? ban.expires : null,
    failures: ban.failures,
    ban_count: ban.banCount,
    matches: JSON.stringify(ban.matches.slice(-MAX_MATCHES)),
    users: ban.users ? JSON.stringify(ban.users) : null,
    reason: ban.reason ?? null,
  };
}

/** A row as a ban. */
export function fromRow(row: BanRow): StoredBan {
  return {
    jail: row.jail,
    ip: row.ip,
    family: row.family === 6 ? 6 : 4,
    time: row.time,
    bantime: row.bantime,
    expires: row.expires === null ? Number.POSITIVE_INFINITY : row.expires,
    failures: row.failures,
    banCount: row.ban_count,
    matches: row.matches === '[]' ? [] : (JSON.parse(row.matches) as string[]),
    users: row.users ? (JSON.parse(row.users) as string[]) : undefined,
    reason: (row.reason ?? undefined) as StoredBan['reason'],
  };
}
