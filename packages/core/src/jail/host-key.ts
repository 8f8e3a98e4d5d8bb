/**
 * Host keys as numbers, for tables that hold a million of them. A key in canonical dotted-quad form
 * (`10.0.0.1`) is an IPv4 address: it becomes its 32-bit value, so a table stores 4 bytes instead of a
 * string (~32 bytes) and a map entry. Any other key (an IPv6 address or prefix, a subnet `10.0.0.0/24`)
 * stays a string; only the hash is computed from it.
 */

/** The key {@link ipv4Number} read last, and what it gave. */
let lastKey = '';
let lastNumber = -1;

/**
 * The 32-bit value of `key` when it is an IPv4 address in canonical form, else -1. The last answer is
 * remembered: a restart hands each of a million addresses to the bans table, the unban schedule and the
 * restore batch in turn, and each reads it here.
 */
export function ipv4Number(key: string): number {
  if (key === lastKey) return lastNumber;
  lastNumber = readIPv4(key);
  lastKey = key;
  return lastNumber;
}

function readIPv4(key: string): number {
  const n = key.length;
  if (n < 7 || n > 15) return -1;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57) return -1;
    // A leading zero (`01`) is not canonical: such a key stays a string, so it never aliases `1`.
    if (digits > 0 && part === 0) return -1;
    part = part * 10 + (c - 48);
    digits++;
    if (part > 255) return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Each octet's text, and with its dot: an address is then three joins of short strings, not four number conversions. */
const OCTETS = Array.from({ length: 256 }, (_, i) => String(i));
const DOTTED = OCTETS.map((o) => `${o}.`);

/**
 * The canonical dotted-quad form of a 32-bit value. Tables that hold addresses as numbers build the string
 * each time a ticket is read (a restore batch, twice a million of them), so this is kept cheap.
 */
export function ipv4Key(value: number): string {
  return DOTTED[value >>> 24]! + DOTTED[(value >>> 16) & 255]! + DOTTED[(value >>> 8) & 255]! + OCTETS[value & 255]!;
}

/** Per process, so that which keys collide cannot be worked out from the source. */
const SEED = (Math.random() * 0x1_0000_0000) >>> 0;

/** Murmur3's finalizer: every input bit moves about half the output bits, so the low bits index well. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of an IPv4 key's value. */
export function hashNumber(value: number): number {
  return mix(value ^ SEED);
}

/** Hash of a string key (FNV-1a over its UTF-16 units, then mixed). */
export function hashString(key: string): number {
  let h = 0x811c_9dc5 ^ SEED;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x0100_0193);
  return mix(h);
}
