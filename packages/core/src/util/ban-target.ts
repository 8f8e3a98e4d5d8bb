import { type ParsedNetwork, networkContains, parseNetwork } from './ip-network.js';

/** A ban target as a firewall holds it: one address, or one network with its host bits cleared. */
export interface BanTarget extends ParsedNetwork {
  /** What the firewall is given: `192.0.2.1`, `2001:db8::1`; `198.51.100.0/24`, `2001:db8:aa::/48`. */
  readonly entry: string;
  /** True for a network (a prefix shorter than the address). */
  readonly network: boolean;
}

/**
 * The target of a ban ticket (`ticket.ip`: an address or `net/len`, or an address with `prefixlen`) in the
 * form every firewall action gives its tool. Only what parses as an address or a network with a valid length
 * comes back, canonical; anything else is undefined and never reaches a firewall. A full-length prefix is an
 * address.
 */
export function banTarget(target: string, prefixlen?: number): BanTarget | undefined {
  const net = parseNetwork(prefixlen !== undefined && !target.includes('/') ? `${target}/${prefixlen}` : target);
  if (!net) return undefined;
  return { ...net, entry: net.canonical, network: net.prefix < (net.family === 4 ? 32 : 128) };
}

/** Do two targets share an address (one contains the other)? Some firewalls refuse such pairs in one set. */
export function targetsOverlap(a: BanTarget, b: BanTarget): boolean {
  return a.prefix <= b.prefix ? networkContains(a, b) : networkContains(b, a);
}
