import { PortcullisError } from '../util/errors.js';
import { type ParsedAddress, parseAddress } from '../util/ip-address.js';
import { type ParsedNetwork, addressBits, networkContains, parseNetwork } from '../util/ip-network.js';

/**
 * A set of addresses and CIDR networks (IPv4 and IPv6) asked "does this address belong?" for every
 * failure, so single addresses go into a Map by canonical text and only real networks are scanned.
 * IPv4-mapped IPv6 input is parsed to IPv4 and so matches IPv4 networks.
 */
export class AddressMatcher {
  private readonly exact = new Map<string, ParsedNetwork>();
  private readonly networks: ParsedNetwork[] = [];

  /**
   * @param entries addresses (`192.0.2.1`, `::1`) and networks (`127.0.0.1/8`, `2001:db8::/32`); host names
   *   are not allowed.
   * @throws PortcullisError `ADDRESS_INVALID` naming the first entry that is neither.
   */
  constructor(entries: Iterable<string>) {
    for (const raw of entries) {
      const net = parseNetwork(raw);
      if (!net) throw invalid(raw);
      if (net.prefix === addressBits(net.family)) this.exact.set(net.canonical, net);
      else this.networks.push(net);
    }
  }

  /** Number of entries (addresses plus networks). */
  get size(): number {
    return this.exact.size + this.networks.length;
  }

  /** True when `ip` equals one of the addresses or lies in one of the networks; false for unparsable text. */
  has(ip: string | ParsedAddress): boolean {
    const parsed = typeof ip === 'string' ? parseAddress(ip) : ip;
    if (!parsed) return false;
    if (this.exact.has(parsed.canonical)) return true;
    for (const net of this.networks) if (networkContains(net, parsed)) return true;
    return false;
  }

  /**
   * True when banning `net` whole would block one of these entries: it holds one of the addresses, or it
   * and one of the networks overlap (either contains the other). Asked once per network ban, not per line.
   */
  overlaps(net: ParsedNetwork): boolean {
    for (const address of this.exact.values()) if (networkContains(net, address)) return true;
    // Two networks overlap when the shorter holds the longer's first address; the longer can hold the
    // shorter's only when they overlap too, so asking both ways needs no comparison of lengths.
    for (const n of this.networks) if (networkContains(n, net) || networkContains(net, n)) return true;
    return false;
  }
}

function invalid(entry: string): PortcullisError {
  return new PortcullisError('ADDRESS_INVALID', `"${entry}" is not an IP address or CIDR network`, {
    hint: 'use addresses like 192.0.2.1 or 2001:db8::1 and networks like 10.0.0.0/8; host names are not allowed',
  });
}
