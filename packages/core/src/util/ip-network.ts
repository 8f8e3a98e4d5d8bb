import { type ParsedAddress, addressBytes, formatV6 } from './ip-address.js';

/**
 * A ban target: one address, or a network given by a prefix of an address's bytes (host bits zero).
 * `canonical` is the text every stage uses as its key: the plain address at full length (`/32`, `/128`),
 * else `network/len` with the network in canonical form (`198.51.100.0/24`, `2001:db8:aa:bb::/64`).
 */
export interface ParsedNetwork {
  readonly family: 4 | 6;
  /** Network bytes (4 or 16), host bits cleared. */
  readonly bytes: Uint8Array;
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  readonly prefix: number;
  readonly canonical: string;
}

/** Bits of an address of `family`. */
export function addressBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

/** Copy of `bytes` with every bit after the first `prefix` cleared. */
function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const whole = prefix >> 3;
  out.set(bytes.subarray(0, whole));
  // The byte the prefix ends in keeps its first `prefix & 7` bits: none when the prefix ends on a byte
  // boundary (the mask is 0xff00), and a prefix of every byte writes past the end, which a typed array ignores.
  out[whole] = bytes[whole]! & (0xff << (8 - (prefix & 7)));
  return out;
}

function text(family: 4 | 6, bytes: Uint8Array, prefix: number): string {
  const address = family === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : formatV6(bytes);
  return prefix === addressBits(family) ? address : `${address}/${prefix}`;
}

/**
 * The network of `prefix` bits that holds `ip` (the address itself at full length). Called per failure:
 * at full length it returns the address's own canonical text without building anything.
 */
export function networkOf(ip: ParsedAddress, prefix: number): ParsedNetwork {
  const bits = addressBits(ip.family);
  if (prefix >= bits) return { family: ip.family, bytes: ip.bytes, prefix: bits, canonical: ip.canonical };
  const bytes = masked(ip.bytes, prefix);
  return { family: ip.family, bytes, prefix, canonical: text(ip.family, bytes, prefix) };
}

/** The canonical key of `ip` counted per prefix: `ipv4` bits for IPv4, `ipv6` bits for IPv6. */
export function prefixKey(ip: ParsedAddress, ipv4: number, ipv6: number): string {
  return networkOf(ip, ip.family === 4 ? ipv4 : ipv6).canonical;
}

/**
 * Parses an address (`2001:db8::1`) or a network (`198.51.100.0/24`, `2001:db8:1::/64`); host bits set in
 * the network part are cleared (`198.51.100.7/24` is `198.51.100.0/24`). IPv4-mapped networks count their
 * mapped bits (`::ffff:10.0.0.0/104` is `10.0.0.0/8`). Returns undefined for anything else — this is what
 * decides what may reach a firewall, so it takes digits only for the length, nothing around them.
 */
export function parseNetwork(written: string): ParsedNetwork | undefined {
  const input = written.trim();
  const slash = input.indexOf('/');
  const head = slash === -1 ? input : input.slice(0, slash);
  const bytes = addressBytes(head);
  if (!bytes) return undefined;
  const family = bytes.length === 4 ? 4 : 6;
  let prefix = addressBits(family);
  if (slash !== -1) {
    const bits = input.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits)) return undefined;
    prefix = Number(bits);
    if (family === 4 && head.indexOf(':') !== -1) prefix -= 96;
    if (prefix < 0 || prefix > addressBits(family)) return undefined;
  }
  const net = masked(bytes, prefix);
  return { family, bytes: net, prefix, canonical: text(family, net, prefix) };
}

/** True when `ip` lies inside `net` (same family, same leading `net.prefix` bits). */
export function networkContains(net: ParsedNetwork, ip: { family: 4 | 6; bytes: Uint8Array }): boolean {
  if (net.family !== ip.family) return false;
  const whole = net.prefix >> 3;
  for (let i = 0; i < whole; i++) if (ip.bytes[i] !== net.bytes[i]) return false;
  const rest = net.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[whole]! & mask) === net.bytes[whole];
}

/** Prefix length and network address of a ticket's target text (`ip` of a {@link BanTicket}). */
export function targetParts(target: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const net = parseNetwork(target);
  if (!net) return undefined;
  const address = net.family === 4 ? `${net.bytes[0]}.${net.bytes[1]}.${net.bytes[2]}.${net.bytes[3]}` : formatV6(net.bytes);
  return { address, prefix: net.prefix, family: net.family };
}
