import { PortcullisError } from '../util/errors.js';
import { type ParsedAddress, parseAddress } from '../util/ip-address.js';
import { type ParsedNetwork, networkContains, parseNetwork } from '../util/ip-network.js';

/** A network as a prefix of an address's bytes. */
interface Network {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function within(ip: Uint8Array, net: Network): boolean {
  const whole = net.prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== net.bytes[i]) return false;
  const rest = net.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (net.bytes[whole]! & mask);
}

/**
 * A set of addresses and CIDR networks (IPv4 and IPv6) asked "does this address belong?" for every
 * failure, so single addresses go into a Set of canonical strings and only real networks are scanned,
 * longest prefix first. IPv4-mapped IPv6 input is parsed to IPv4 and so matches IPv4 networks.
 */
export class AddressMatcher {
  private readonly exact = new Set<string>();
  private readonly networks: Network[] = [];

  /**
   * @param entries addresses (`192.0.2.1`, `::1`) and networks (`127.0.0.1/8`, `2001:db8::/32`); host names
   *   are not allowed.
   * @throws PortcullisError `ADDRESS_INVALID` naming the first entry that is neither.
   */
  constructor(entries: Iterable<string>) {
    for (const raw of entries) {
      const net = parseNetwork(raw);
      if (!net) throw invalid(raw);
      if (net.prefix === (net.family === 4 ? 32 : 128)) this.exact.add(net.canonical);
      else this.networks.push(net);
    }
    this.networks.sort((a, b) => b.prefix - a.prefix);
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
    for (const net of this.networks) {
      if (net.family === parsed.family && within(parsed.bytes, net)) return true;
    }
    return false;
  }

  /**
   * True when banning `net` whole would block one of these entries: it holds one of the addresses, or it
   * and one of the networks overlap (either contains the other). Asked once per network ban, not per line.
   */
  overlaps(net: ParsedNetwork): boolean {
    for (const text of this.exact) {
      const ip = parseAddress(text);
      if (ip && networkContains(net, ip)) return true;
    }
    for (const n of this.networks) {
      if (n.family !== net.family) continue;
      const shorter = n.prefix <= net.prefix ? n : net;
      const longer = shorter === n ? net : n;
      if (within(longer.bytes, shorter)) return true;
    }
    return false;
  }
}

function invalid(entry: string): PortcullisError {
  return new PortcullisError('ADDRESS_INVALID', `"${entry}" is not an IP address or CIDR network`, {
    hint: 'use addresses like 192.0.2.1 or 2001:db8::1 and networks like 10.0.0.0/8; host names are not allowed',
  });
}
