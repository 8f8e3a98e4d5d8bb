import { parseAddress } from './ip-address.js';

/** An address or a CIDR network, as the bytes of its address and a prefix length. */
export interface ParsedNetwork {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  /** Prefix length; the full length (32 or 128) for a single address. */
  readonly prefix: number;
  /** The address part in canonical form. */
  readonly canonical: string;
}

/**
 * Parse `192.0.2.1`, `10.0.0.0/8`, `2001:db8::/32` (or `::ffff:10.0.0.0/104`, read as IPv4 `/8`);
 * undefined for anything else: host names, prefixes too long for the family, stray text. The one reading
 * of ignore lists, shared by config validation and the jail's matcher so they can never disagree.
 */
export function parseNetwork(text: string): ParsedNetwork | undefined {
  const entry = text.trim();
  const slash = entry.indexOf('/');
  const ip = parseAddress(slash === -1 ? entry : entry.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { family: ip.family, bytes: ip.bytes, prefix: max, canonical: ip.canonical };
  const bits = entry.slice(slash + 1);
  let prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : -1;
  // `::ffff:10.0.0.0/104` parses to IPv4: its prefix counts the 96 mapped bits too.
  if (ip.family === 4 && entry.indexOf(':') !== -1) prefix -= 96;
  if (prefix < 0 || prefix > max) return undefined;
  return { family: ip.family, bytes: ip.bytes, prefix, canonical: ip.canonical };
}
