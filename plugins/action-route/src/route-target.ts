import { parseNetwork } from '@portcullis/core';

/** A ban target as a route destination: canonical network text and its family. */
export interface RouteTarget {
  /** `192.0.2.1/32`, `2001:db8:aa:bb::/64`: host bits cleared, canonical address text. */
  readonly destination: string;
  readonly family: 4 | 6;
}

/**
 * The route destination of a ticket's target: a plain address (`192.0.2.1`) or a network (`2001:db8::/64`).
 * Only what parses as an address with a valid prefix length comes back, rewritten in canonical form with the
 * host bits cleared; anything else is undefined. Nothing else ever reaches `ip`.
 */
export function routeTarget(target: string, prefixlen?: number): RouteTarget | undefined {
  const net = parseNetwork(prefixlen !== undefined && !target.includes('/') ? `${target}/${prefixlen}` : target);
  if (!net) return undefined;
  // A route always names its length: `192.0.2.1/32` as well as `198.51.100.0/24`.
  const full = net.prefix === (net.family === 4 ? 32 : 128);
  return { destination: full ? `${net.canonical}/${net.prefix}` : net.canonical, family: net.family };
}
