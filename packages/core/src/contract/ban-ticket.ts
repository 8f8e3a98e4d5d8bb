/**
 * A ban as actions see it. Actions receive tickets in batches and must treat a repeated ban of the
 * same address (or an unban of an unknown one) as a no-op.
 */
export interface BanTicket {
  /** Canonical address: dotted quad for IPv4 (also for `::ffff:a.b.c.d`), RFC 5952 form for IPv6. */
  readonly ip: string;
  readonly family: 4 | 6;
  /** Jail name. */
  readonly jail: string;
  /** Ban start, ms since the epoch. */
  readonly time: number;
  /** Ban length in ms; `-1` means forever. */
  readonly bantime: number;
  /** When the ban ends (ms since the epoch); `Infinity` for a permanent ban. */
  readonly expires: number;
  /** Number of failures that led to the ban (0 for a ban made by hand). */
  readonly failures: number;
  /** How many times this address has been banned in this jail, this ban included. */
  readonly banCount: number;
  /**
   * The log lines that matched, oldest first (bounded). Only the ticket of a new ban carries them (and the
   * store keeps them): unbans and re-applied bans get an empty list, so memory does not hold every line of
   * every current ban.
   */
  readonly matches: readonly string[];
  /** User names seen in those failures, if any (like `matches`, only on the ticket of a new ban). */
  readonly users?: readonly string[] | undefined;
  /** Why: `failures`, `manual`, `restore` (re-applied after a restart or a lost firewall rule). */
  readonly reason?: 'failures' | 'manual' | 'restore' | undefined;
}
