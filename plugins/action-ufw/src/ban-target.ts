import { parseAddress } from '@portcullis/core';

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
  const slash = target.indexOf('/');
  const parsed = parseAddress(slash === -1 ? target : target.slice(0, slash));
  if (!parsed) return undefined;
  const max = parsed.family === 4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const text = target.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    bits = Number(text);
    // A mapped IPv6 network (`::ffff:10.0.0.0/104`) parses to IPv4: its length counts the 96 mapped bits.
    if (parsed.family === 4 && target.includes(':')) bits -= 96;
  } else if (prefixlen !== undefined) {
    bits = prefixlen;
  }
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  const bytes = Array.from(parsed.bytes);
  for (let bit = bits; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const base = parseAddress(parsed.family === 4 ? bytes.join('.') : v6Text(bytes));
  if (!base) return undefined;
  const network = bits < max;
  return { entry: network ? `${base.canonical}/${bits}` : base.canonical, family: parsed.family, network, bytes, bits };
}


function v6Text(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}
