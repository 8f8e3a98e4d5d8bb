import { parseAddress } from '@portcullis/core';

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
  const slash = target.indexOf('/');
  const parsed = parseAddress(slash === -1 ? target : target.slice(0, slash));
  if (!parsed) return undefined;
  const max = parsed.family === 4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const text = target.slice(slash + 1);
    if (!/^\d{1,3}$/.test(text)) return undefined;
    bits = Number(text);
  } else if (prefixlen !== undefined) {
    bits = prefixlen;
  }
  // A mapped IPv6 network (`::ffff:10.0.0.0/104`) parses to IPv4: its length counts the 96 mapped bits.
  if (parsed.family === 4 && slash !== -1 && target.indexOf(':') !== -1) bits -= 96;
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  const bytes = Uint8Array.from(parsed.bytes);
  for (let bit = bits; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const base = parseAddress(parsed.family === 4 ? bytes.join('.') : v6Text(bytes));
  if (!base) return undefined;
  return { destination: `${base.canonical}/${bits}`, family: parsed.family };
}

function v6Text(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}
