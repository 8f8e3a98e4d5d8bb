/** An IP address in canonical form with its raw bytes. */
export interface ParsedAddress {
  /** 4 for IPv4 (including IPv4-mapped IPv6, which is reported as the IPv4), 6 otherwise. */
  readonly family: 4 | 6;
  /** Dotted decimal for IPv4; RFC 5952 text for IPv6 (lowercase, longest zero run compressed). */
  readonly canonical: string;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

/**
 * Parses one IPv4 octet from `text[start, end)`; -1 when it is not one (an empty or negative range
 * included). Leading zeros (`01`) are rejected: `inet_aton` would read them as octal, so such text is
 * ambiguous and never what a daemon logs. Four digits or more without a leading zero exceed 255.
 */
function octet(text: string, start: number, end: number): number {
  const len = end - start;
  if (len < 1) return -1;
  if (len > 1 && text.charCodeAt(start) === 48) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n > 255 ? -1 : n;
}

/**
 * Writes the four octets of the dotted quad that `text` holds from `start` to its end into `out`; false when
 * it is not one. A missing dot leaves an octet a negative range; a fifth part leaves a dot in the last one.
 */
function parseQuad(text: string, start: number, out: Uint8Array): boolean {
  let from = start;
  for (let part = 0; part < 4; part++) {
    const to = part < 3 ? text.indexOf('.', from) : text.length;
    const n = octet(text, from, to);
    if (n < 0) return false;
    out[part] = n;
    from = to + 1;
  }
  return true;
}

/** The value of a hex digit's char code; negative when it is none. */
function hexValue(c: number): number {
  // Anything below '0' comes out negative here, refused like any other non-hex character.
  if (c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses the hextets of `text[start, end)` (no `::` inside) into 16-bit groups; undefined when malformed.
 * With `allowTail` (only for a range that runs to the end of `text`) the last part may be a dotted quad.
 */
function parseGroups(text: string, start: number, end: number, allowTail: boolean): number[] | undefined {
  const groups: number[] = [];
  if (start === end) return groups;
  let from = start;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 58) continue;
    const len = i - from;
    if (len === 0) return undefined;
    if (i === end && allowTail && text.indexOf('.', from) !== -1) {
      const quad = new Uint8Array(4);
      if (!parseQuad(text, from, quad)) return undefined;
      groups.push((quad[0]! << 8) | quad[1]!, (quad[2]! << 8) | quad[3]!);
      return groups;
    }
    if (len > 4) return undefined;
    let v = 0;
    for (let j = from; j < i; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) return undefined;
      v = (v << 4) | h;
    }
    groups.push(v);
    from = i + 1;
  }
  return groups;
}

function parseV6(text: string): Uint8Array | undefined {
  const gap = text.indexOf('::');
  let groups: number[];
  if (gap === -1) {
    const all = parseGroups(text, 0, text.length, true);
    if (all?.length !== 8) return undefined;
    groups = all;
  } else {
    // A second `::` (or `:::`) leaves an empty group in the tail, which parseGroups refuses.
    const head = parseGroups(text, 0, gap, false);
    const tail = parseGroups(text, gap + 2, text.length, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = groups[i]! >> 8;
    bytes[i * 2 + 1] = groups[i]! & 0xff;
  }
  return bytes;
}

/** RFC 5952 text of 16 bytes: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatV6(bytes: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === -1) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** True when `s` starts with `::ffff:` (any case). */
function isMappedPrefix(s: string): boolean {
  if (s.charCodeAt(0) !== 58 || s.charCodeAt(1) !== 58 || s.charCodeAt(6) !== 58) return false;
  for (let i = 2; i < 6; i++) if ((s.charCodeAt(i) | 0x20) !== 102) return false;
  return true;
}

function isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * Parses an IPv4 or IPv6 address. IPv6 may be in any legal form (compressed, embedded IPv4 tail, upper case),
 * wrapped in `[]`, with a `%zone` (dropped). IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:0102:0304`) yields
 * the IPv4. IPv4 octets with leading zeros are rejected (ambiguous: octal to `inet_aton`). Returns
 * undefined for anything else, including host names and CIDRs.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  const bytes = addressBytes(text);
  if (bytes === undefined) return undefined;
  // A dotted quad that parsed is already canonical (parseQuad refuses leading zeros and anything after the
  // fourth octet): the text itself serves, with no new string for every failure line.
  if (bytes.length === 4) return { family: 4, canonical: text.indexOf(':') === -1 && text.charCodeAt(0) !== 91 ? text : `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`, bytes };
  return { family: 6, canonical: formatV6(bytes), bytes };
}

/**
 * The bytes of an address as {@link parseAddress} reads it (4 for IPv4 and IPv4-mapped IPv6, else 16),
 * without building its canonical text: for callers that only validate or classify.
 */
export function addressBytes(text: string): Uint8Array | undefined {
  let s = text;
  if (s.charCodeAt(0) === 91) {
    if (s.charCodeAt(s.length - 1) !== 93) return undefined;
    s = s.slice(1, -1);
  }
  // Longer text is no address: the longest IPv6 with an IPv4 tail is 45 characters, the rest a zone.
  if (s.length > 60) return undefined;
  if (s.indexOf(':') === -1) {
    const bytes = new Uint8Array(4);
    return parseQuad(s, 0, bytes) ? bytes : undefined;
  }
  const zone = s.indexOf('%');
  if (zone !== -1) {
    if (zone === s.length - 1) return undefined;
    s = s.slice(0, zone);
  }
  // The IPv4-mapped form (`::ffff:10.0.0.1`, as dual-stack daemons log IPv4 peers) read directly: the
  // general path builds arrays of groups for every such line. Anything else after `::ffff:` (a hex tail,
  // `::ffff:0:1.2.3.4`) takes the general path.
  if (s.length > 7 && isMappedPrefix(s)) {
    const quad = new Uint8Array(4);
    if (parseQuad(s, 7, quad)) return quad;
  }
  const bytes = parseV6(s);
  if (!bytes) return undefined;
  return isMapped(bytes) ? bytes.slice(12) : bytes;
}
