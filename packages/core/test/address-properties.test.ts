// Properties of addresses and networks over inputs too large for examples: every spelling of one address
// is one key, IPv4-mapped forms are the IPv4, and CIDR parsing, membership, per-prefix keys and overlaps
// agree with a reference written here in BigInt arithmetic (and the WHATWG URL parser for IPv6 text).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressMatcher } from '../src/jail/address-matcher.js';
import { parseAddress } from '../src/util/ip-address.js';
import { networkContains, networkOf, parseNetwork, prefixKey, targetParts } from '../src/util/ip-network.js';

// ---- the reference -------------------------------------------------------------------------------

function toBig(bytes: readonly number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function fromBig(n: bigint, length: number): number[] {
  return Array.from({ length }, (_, i) => Number((n >> BigInt(8 * (length - 1 - i))) & 0xffn));
}

/** `bytes` with every bit after the first `prefix` cleared. */
function maskRef(bytes: readonly number[], prefix: number): number[] {
  const shift = BigInt(bytes.length * 8 - prefix);
  return fromBig((toBig(bytes) >> shift) << shift, bytes.length);
}

/** Whether the first `prefix` bits of `a` and `b` are equal. */
function samePrefix(a: readonly number[], b: readonly number[], prefix: number): boolean {
  const shift = BigInt(a.length * 8 - prefix);
  return toBig(a) >> shift === toBig(b) >> shift;
}

function groupsOf(bytes: readonly number[]): number[] {
  return Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
}

function bytesOf(groups: readonly number[]): number[] {
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** RFC 5952 text as the URL standard writes an IPv6 host. */
function v6Text(bytes: readonly number[]): string {
  return new URL(`http://[${groupsOf(bytes).map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

/** `::ffff:0:0/96`: parsed as the IPv4 it carries. */
function isMapped(bytes: readonly number[]): boolean {
  return bytes.length === 16 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

function textOf(bytes: readonly number[]): string {
  return bytes.length === 4 ? bytes.join('.') : v6Text(bytes);
}

/** The key the reference expects for a network: the plain address at full length, else `network/len`. */
function networkKey(bytes: readonly number[], prefix: number): string {
  const net = textOf(maskRef(bytes, prefix));
  return prefix === bytes.length * 8 ? net : `${net}/${prefix}`;
}

// ---- generators ----------------------------------------------------------------------------------

const quad = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });
// Zero-heavy groups, so `::` and zero runs of every length come up as often as not, and groups one byte
// away from the IPv4-mapped prefix (`::ff:…`, `::ff00:…`, `::1:ffff:…`), which must stay IPv6.
const group = fc.oneof(fc.constant(0), fc.constantFrom(1, 0xff, 0xff00, 0xffff), fc.integer({ min: 0, max: 0xffff }));
const v6Groups = fc
  .array(group, { minLength: 8, maxLength: 8 })
  .filter((g) => !isMapped(bytesOf(g)));
const v6Bytes = v6Groups.map(bytesOf);

/** An address of either family as bytes (4 or 16), never IPv4-mapped. */
const anyBytes = fc.oneof(quad, v6Bytes);

/** Sub-runs of zero groups that `::` may stand for (one group or more). */
function zeroRuns(g: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (let a = 0; a < 8; a++) for (let b = a + 1; b <= 8 && g[b - 1] === 0; b++) runs.push([a, b]);
  return runs;
}

/**
 * Every legal way to write the IPv6 address of `g`: leading zeros, each digit's case, which zero run (if
 * any) is `::`, the last two groups as a dotted quad, a zone, brackets.
 */
function spellingOf(g: readonly number[]): fc.Arbitrary<string> {
  const runs = zeroRuns(g);
  return fc
    .record({
      pads: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      run: fc.integer({ min: -1, max: runs.length - 1 }),
      dotted: fc.boolean(),
      zone: fc.constantFrom('', '%eth0', '%25lo', '%1'),
      bracket: fc.boolean(),
    })
    .map(({ pads, upper, run, dotted, zone, bracket }) => {
      const parts = g.map((x, i) => {
        const digits = x.toString(16).padStart(pads[i]!, '0');
        return upper[i] ? digits.toUpperCase() : digits;
      });
      // No `::` at all is the run [-1, -1).
      const [a, b] = run >= 0 ? runs[run]! : [-1, -1];
      if (dotted && b <= 6) parts.splice(6, 2, `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`);
      const text = a === -1 ? parts.join(':') : `${parts.slice(0, a).join(':')}::${parts.slice(b).join(':')}`;
      return bracket ? `[${text}${zone}]` : `${text}${zone}`;
    });
}

/** Every way to write an IPv4 address that parses as it: dotted, IPv4-mapped with a dotted or hex tail. */
function v4SpellingOf(q: readonly number[]): fc.Arbitrary<string> {
  const hi = (q[0]! << 8) | q[1]!;
  const lo = (q[2]! << 8) | q[3]!;
  return fc
    .record({ form: fc.integer({ min: 0, max: 4 }), upper: fc.boolean(), pad: fc.integer({ min: 1, max: 4 }), bracket: fc.boolean() })
    .map(({ form, upper, pad, bracket }) => {
      const hex = (n: number) => (upper ? n.toString(16).toUpperCase() : n.toString(16)).padStart(pad, '0');
      const ffff = upper ? 'FFFF' : 'ffff';
      const dotted = q.join('.');
      const mapped = [
        `::${ffff}:${dotted}`,
        `0:0:0:0:0:${ffff}:${dotted}`,
        `::${ffff}:${hex(hi)}:${hex(lo)}`,
        `0::${hex(0)}:${ffff}:${hex(hi)}:${hex(lo)}`,
      ];
      if (form === 0) return dotted;
      const text = mapped[form - 1]!;
      return bracket ? `[${text}]` : text;
    });
}

/** `bytes` with bit `bit` (0 = most significant) flipped. */
function flip(bytes: readonly number[], bit: number): number[] {
  const out = [...bytes];
  out[bit >> 3]! ^= 0x80 >> (bit & 7);
  return out;
}

/** An address and a network prefix of its family. */
const withPrefix = anyBytes.chain((bytes) => fc.tuple(fc.constant(bytes), fc.integer({ min: 0, max: bytes.length * 8 })));

/**
 * Addresses the reference decides near the network's edges: the first and last address of `bytes/prefix`,
 * the ones just outside it, and one with a single bit flipped anywhere (inside the prefix: outside).
 */
function edgeCandidates(bytes: readonly number[], prefix: number, bit: number): number[][] {
  const bits = BigInt(bytes.length * 8);
  const size = 1n << (bits - BigInt(prefix));
  const first = toBig(maskRef(bytes, prefix));
  const out = [first, first + size - 1n, first - 1n, first + size].filter((n) => n >= 0n && n < 1n << bits).map((n) => fromBig(n, bytes.length));
  out.push(flip(bytes, bit % (bytes.length * 8)));
  return out;
}

// ---- the properties ------------------------------------------------------------------------------

describe('every spelling of one address is one key', () => {
  it('IPv6: any two spellings parse to the same RFC 5952 key, match each other, and are the same /128 network', () => {
    fc.assert(
      fc.property(
        v6Groups.chain((g) => fc.tuple(fc.constant(g), spellingOf(g), spellingOf(g))),
        ([g, one, other]) => {
          const key = v6Text(bytesOf(g));
          expect(parseAddress(one)).toMatchObject({ family: 6, canonical: key });
          expect([...parseAddress(other)!.bytes]).toEqual(bytesOf(g));
          expect(new AddressMatcher([one]).has(other)).toBe(true);
          expect(parseNetwork(`${one}/128`)).toMatchObject({ family: 6, prefix: 128, canonical: key });
          expect(networkOf(parseAddress(other)!, 128).canonical).toBe(key);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('IPv4: the dotted quad and every IPv4-mapped form are the IPv4 key; the compatible form is another address', () => {
    fc.assert(
      fc.property(
        quad.chain((q) => fc.tuple(fc.constant(q), v4SpellingOf(q), v4SpellingOf(q))),
        ([q, one, other]) => {
          const key = q.join('.');
          expect(parseAddress(one)).toMatchObject({ family: 4, canonical: key });
          expect([...parseAddress(other)!.bytes]).toEqual(q);
          expect(new AddressMatcher([one]).has(other)).toBe(true);
          expect(parseNetwork(one)?.canonical).toBe(key);
          // `::a.b.c.d` (IPv4-compatible, deprecated) is the IPv6 address with those low 32 bits.
          const compatible = [...new Array<number>(12).fill(0), ...q];
          expect(parseAddress(`::${key}`)).toMatchObject({ family: 6, canonical: v6Text(compatible) });
          expect(new AddressMatcher([one]).has(`::${key}`)).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('IPv4-mapped networks count the mapped bits: ::ffff:a.b.c.d/(96+n) is a.b.c.d/n, and shorter ones are refused', () => {
    fc.assert(
      fc.property(quad, fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 95 }), (q, n, short) => {
        const expected = networkKey(q, n);
        expect(parseNetwork(`${q.join('.')}/${n}`)).toMatchObject({ family: 4, prefix: n, canonical: expected });
        expect(parseNetwork(`::ffff:${q.join('.')}/${96 + n}`)).toMatchObject({ family: 4, prefix: n, canonical: expected });
        expect(parseNetwork(`::ffff:${q.join('.')}/${short}`)).toBeUndefined();
      }),
    );
  });
});

describe('networks against the BigInt reference', () => {
  it('parseNetwork clears the host bits and writes the reference key; targetParts reads it back', () => {
    fc.assert(
      fc.property(withPrefix, ([bytes, prefix]) => {
        const net = parseNetwork(`${textOf(bytes)}/${prefix}`);
        const family = bytes.length === 4 ? 4 : 6;
        expect(net).toMatchObject({ family, prefix, canonical: networkKey(bytes, prefix) });
        expect([...net!.bytes]).toEqual(maskRef(bytes, prefix));
        expect(targetParts(net!.canonical)).toEqual({ address: textOf(maskRef(bytes, prefix)), prefix, family });
      }),
      { numRuns: 1000 },
    );
  });

  it('a prefix longer than the family, or not 1-3 plain digits, is refused', () => {
    fc.assert(
      fc.property(anyBytes, fc.integer({ min: 1, max: 999 }), fc.string({ maxLength: 5 }), (bytes, over, junk) => {
        const bits = bytes.length * 8;
        expect(parseNetwork(`${textOf(bytes)}/${bits + over}`)).toBeUndefined();
        expect(parseNetwork(`${textOf(bytes)}/00${bits}`)).toBeUndefined();
        if (!/^\d{1,3}$/.test(junk.trim())) expect(parseNetwork(`${textOf(bytes)}/${junk}`)).toBeUndefined();
      }),
    );
  });

  it('membership: networkContains and AddressMatcher.has agree with the reference at the edges and anywhere', () => {
    fc.assert(
      fc.property(withPrefix, anyBytes, fc.nat(), ([bytes, prefix], other, bit) => {
        const net = parseNetwork(`${textOf(bytes)}/${prefix}`)!;
        const matcher = new AddressMatcher([`${textOf(bytes)}/${prefix}`]);
        for (const candidate of [...edgeCandidates(bytes, prefix, bit), other]) {
          const expected = candidate.length === bytes.length && !isMapped(candidate) && samePrefix(candidate, bytes, prefix);
          const ip = parseAddress(textOf(candidate))!;
          expect(networkContains(net, ip), `${net.canonical} holds ${ip.canonical}`).toBe(expected);
          expect(matcher.has(ip), `${net.canonical} matches ${ip.canonical}`).toBe(expected);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('per-prefix keys: every address of a network has its key, and an address outside it has another', () => {
    fc.assert(
      fc.property(withPrefix, fc.nat(), fc.nat(), ([bytes, prefix], hostBits, bit) => {
        const family = bytes.length === 4 ? 4 : 6;
        const key = networkKey(bytes, prefix);
        const ip = parseAddress(textOf(bytes))!;
        expect(networkOf(ip, prefix)).toMatchObject({ family, prefix, canonical: key });
        expect([...networkOf(ip, prefix).bytes]).toEqual(maskRef(bytes, prefix));
        expect(prefixKey(ip, family === 4 ? prefix : 32, family === 6 ? prefix : 128)).toBe(key);
        // Another address of the same network: the same leading bits, random host bits.
        const hostMask = (1n << BigInt(bytes.length * 8 - prefix)) - 1n;
        const sibling = fromBig(toBig(maskRef(bytes, prefix)) | (BigInt(hostBits) & hostMask), bytes.length);
        fc.pre(!isMapped(sibling));
        expect(networkOf(parseAddress(textOf(sibling))!, prefix).canonical).toBe(key);
        if (prefix > 0) {
          const outside = flip(bytes, bit % prefix);
          fc.pre(!isMapped(outside));
          expect(networkOf(parseAddress(textOf(outside))!, prefix).canonical).not.toBe(key);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('overlaps: a network overlaps the entries exactly when it and one of them share their shorter prefix', () => {
    // Entries near the network (a few bits flipped, prefixes around its own), so both answers come up.
    const scene = withPrefix.chain(([bytes, prefix]) =>
      fc.tuple(
        fc.constant(bytes),
        fc.constant(prefix),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: -8, max: 8 }), fc.boolean()), { minLength: 1, maxLength: 4 }),
      ),
    );
    fc.assert(
      fc.property(scene, ([bytes, prefix, near]) => {
        const bits = bytes.length * 8;
        const entries = near.map(([bit, delta, asAddress]) => ({
          bytes: flip(bytes, bit % bits),
          prefix: asAddress ? bits : Math.min(bits, Math.max(0, prefix + delta)),
        }));
        fc.pre(entries.every((e) => !isMapped(e.bytes)));
        const matcher = new AddressMatcher(entries.map((e) => `${textOf(e.bytes)}/${e.prefix}`));
        const expected = entries.some((e) => samePrefix(e.bytes, bytes, Math.min(e.prefix, prefix)));
        const net = parseNetwork(`${textOf(bytes)}/${prefix}`)!;
        expect(matcher.overlaps(net), `${net.canonical} against ${matcher.size} entries`).toBe(expected);
        // The other family never overlaps.
        expect(matcher.overlaps(parseNetwork(bytes.length === 4 ? '::/0' : '0.0.0.0/0')!)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});
