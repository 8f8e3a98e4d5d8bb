import { detach } from '../parsing/detach-string.js';
import { networkContains, parseNetwork } from '../util/ip-network.js';

/** How long a successful login exempts its host from campaign bans. */
export const SUCCESS_MEMORY = 30 * 24 * 3_600_000;
/** Hosts remembered at most; the oldest login goes first. */
const MAX_HOSTS = 100_000;

/**
 * Hosts (addresses, or IPv6 prefixes as the jail counts them) that logged in successfully in the last 30
 * days, from the filters' `success` lines: a campaign never bans them, so a user who mistypes a password
 * while their name is under attack keeps access. Bounded; kept across restarts through the store.
 */
export class SuccessfulLogins {
  private readonly hosts = new Map<string, number>();
  /** Changed since the last {@link SuccessfulLogins.toJSON}. */
  dirty = false;

  get size(): number {
    return this.hosts.size;
  }

  add(key: string, time: number): void {
    // Re-inserted so the map stays in order of the latest login: eviction drops the oldest.
    this.hosts.delete(key);
    // Kept for a month: a copy, since the key may be a slice of the text its line was read from, which it
    // would keep alive (16 KiB of log per remembered host).
    this.hosts.set(detach(key), time);
    if (this.hosts.size > MAX_HOSTS) this.hosts.delete(this.hosts.keys().next().value!);
    this.dirty = true;
  }

  /** True when `key` logged in within 30 days before `now`. */
  has(key: string, now: number): boolean {
    const at = this.hosts.get(key);
    return at !== undefined && at > now - SUCCESS_MEMORY;
  }

  /**
   * True when a host inside `network` logged in within 30 days before `now`: a scan of at most 100,000
   * hosts, run only when a campaign is about to ban a whole subnet.
   */
  within(network: string, now?: number): boolean {
    const net = parseNetwork(network);
    if (net === undefined) return false;
    for (const [key, at] of this.hosts) {
      if (now !== undefined && at <= now - SUCCESS_MEMORY) continue;
      const host = parseNetwork(key);
      if (host !== undefined && networkContains(net, host)) return true;
    }
    return false;
  }

  expire(now: number): void {
    for (const [key, at] of this.hosts) {
      if (at > now - SUCCESS_MEMORY) break;
      this.hosts.delete(key);
      this.dirty = true;
    }
  }

  toJSON(): [string, number][] {
    this.dirty = false;
    return [...this.hosts];
  }

  /** Load what {@link SuccessfulLogins.toJSON} wrote; entries that are not `[string, number]` are skipped. */
  load(entries: unknown): void {
    if (!Array.isArray(entries)) return;
    for (const e of entries.slice(-MAX_HOSTS)) {
      if (Array.isArray(e) && typeof e[0] === 'string' && e[0].length <= 64 && typeof e[1] === 'number') this.hosts.set(e[0], e[1]);
    }
  }
}
