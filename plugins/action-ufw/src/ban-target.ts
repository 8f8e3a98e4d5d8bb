import { parseNetwork } from '@portcullis/core';

/** A ban target as ufw holds it: an address or a network. */
export interface BanTarget {
  /** `192.0.2.1`, `2001:db8::1` for an address; `198.51.100.0/24`, `2001:db8:aa::/48` (host bits cleared) for a network. */
  readonly entry: string;
  readonly family: 4 | 6;
  /** True for a network (prefix shorter than the address). */
  readonly network: boolean;
  readonly bytes: readonly number[];
  readonly bits: number;
}

/**
 * The ufw source of a ticket's target: a plain address or a network (`198.51.100.0/24` in `ticket.ip`, or
 * an address with `prefixlen`). Only what parses as an address with a valid prefix length comes back, in
 * canonical form; anything else is undefined and never reaches ufw. A full-length prefix is an address.
 */
export function banTarget(target: string, prefixlen?: number): BanTarget | undefined {
  // Core's parser decides what is an address or a network (canonical text, host bits cleared): the one
  // reading every firewall action shares.
  const net = parseNetwork(prefixlen !== undefined && !target.includes('/') ? `${target}/${prefixlen}` : target);
  if (!net) return undefined;
  const network = net.prefix < (net.family === 4 ? 32 : 128);
  return { entry: net.canonical, family: net.family, network, bytes: Array.from(net.bytes), bits: net.prefix };
}
