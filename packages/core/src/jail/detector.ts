import type { ParsedAddress } from '../util/ip-address.js';

/** One failure as the detectors see it: the host, the key it is counted under, the name it tried. */
export interface Observation {
  /** The failing address. */
  readonly ip: ParsedAddress;
  /** What the host is counted and banned as: its address, or its IPv6 prefix (`ipv6prefix`). */
  readonly key: string;
  /** The user name the filter captured (attacker-written), if any. */
  readonly user: string | undefined;
  /** The failure's time (ms). */
  readonly time: number;
}

/** A detector's decision: ban `target` (an address or a network in canonical text). */
export interface Verdict {
  readonly target: string;
  /** Failures that led to it (shown with the ban). */
  readonly failures: number;
  readonly reason: 'failures' | 'subnet' | 'campaign';
  /** How long to ban (ms) when the rule says so (campaigns: their duration); else the jail's bantime. */
  readonly bantime?: number | undefined;
}

/**
 * A detection rule of a jail. The jail asks each of its detectors in turn about every failure of a host it
 * neither ignores nor already bans; the first verdict bans. Today's maxretry rule is the default detector;
 * subnet aggregation and campaigns are others. State must stay bounded: `expire` runs every ~30 s.
 */
export interface Detector {
  observe(failure: Observation): Verdict | undefined;
  /** Drop state that left its window. */
  expire(now: number): void;
  /** Forget what was counted against `key` (it was just banned, or unbanned by hand). */
  forget(key: string): void;
  /** Entries held (hosts, prefixes, subnets, targets). */
  readonly size: number;
}
