/**
 * A ban as actions see it. Actions receive tickets in batches and must treat a repeated ban of the
 * same address (or an unban of an unknown one) as a no-op.
 */
export interface BanTicket {
  /**
   * The target, canonical: an address (dotted quad for IPv4, also for `::ffff:a.b.c.d`; RFC 5952 form for
   * IPv6) or a network `address/len` with host bits cleared (`2001:db8:aa:bb::/64`, `198.51.100.0/24`).
   * A network is never written at full length: `/32` and `/128` are the plain address.
   */
  readonly ip: string;
  readonly family: 4 | 6;
  /**
   * Prefix length when `ip` is a network (IPv6 counted per `ipv6prefix`, a `subnet` ban, a network banned
   * by hand); absent for a single address. An action that cannot hold networks must refuse such tickets.
   */
  readonly prefix?: number | undefined;
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
  /**
   * Why: `failures`, `manual`, `restore` (re-applied after a restart or a lost firewall rule), `subnet`
   * (failures of many hosts of one subnet), `campaign` (a host that failed on a name under attack).
   */
  readonly reason?: 'failures' | 'manual' | 'restore' | 'subnet' | 'campaign' | undefined;
  /**
   * The fleet node that recorded the ban, when it came from another node (fleet mode); undefined for bans
   * this node decided. A ban with an origin is never published back to the fleet.
   */
  readonly origin?: string | undefined;
}

/**
 * A campaign: many sources attacking one target (a user name, or the jail itself). Actions that implement
 * {@link ActionInstance.campaign} are told once when it starts.
 */
export interface CampaignEvent {
  readonly jail: string;
  /** The user name under attack, or the jail name when the filter captures none. */
  readonly target: string;
  /** Failures against the target inside the campaign's findtime when it started. */
  readonly failures: number;
  /** Distinct sources (addresses or prefixes) among them. */
  readonly sources: number;
  /** Start, ms since the epoch. */
  readonly time: number;
  /** End, ms since the epoch. */
  readonly until: number;
}
