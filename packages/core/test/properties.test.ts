// Properties over input spaces too large for examples: every spelling of an address, every network, every
// duration, every failure time. References are independent: WHATWG URL parsing for IPv6 text, BigInt
// arithmetic for CIDR membership, plain arithmetic for the findtime window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressMatcher } from '../src/jail/address-matcher.js';
import { FailureTracker } from '../src/jail/failure-tracker.js';
import { DateDetector } from '../src/parsing/date-detector.js';
import { formatDuration, parseDuration } from '../src/util/duration.js';
import { parseAddress } from '../src/util/ip-address.js';

const groups = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
// Zero-heavy groups, so compression (`::`) is exercised as often as not.
const sparseGroups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 });

function hex(n: number, pad: number, upper: boolean): string {
  const text = n.toString(16).padStart(pad, '0');
  return upper ? text.toUpperCase() : text;
}

/** One legal spelling of eight groups: leading zeros, case, and which zero run is compressed all vary. */
const spelling = fc
  .record({ g: sparseGroups, pads: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }), upper: fc.boolean(), run: fc.nat(), bracket: fc.boolean() })
  .map(({ g, pads, upper, run, bracket }) => {
    const parts = g.map((x, i) => hex(x, pads[i]!, upper));
    // Zero runs that may be written as `::` (any of them, not only the longest).
    const runs: [number, number][] = [];
    for (let i = 0; i < 8; ) {
      if (g[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      runs.push([i, j]);
      i = j;
    }
    let text = parts.join(':');
    if (runs.length > 0 && run % 3 !== 0) {
      const [a, b] = runs[run % runs.length]!;
      text = `${parts.slice(0, a).join(':')}::${parts.slice(b).join(':')}`;
    }
    return { g, text: bracket ? `[${text}]` : text };
  });

function v6Reference(g: readonly number[]): string {
  return new URL(`http://[${g.map((x) => x.toString(16)).join(':')}]/`).hostname.slice(1, -1);
}

const quad = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 });

describe('addresses: every spelling gives one key', () => {
  it('IPv6 spellings parse to the RFC 5952 form the URL standard also writes', () => {
    fc.assert(
      fc.property(spelling, ({ g, text }) => {
        const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
        const parsed = parseAddress(text);
        if (mapped) {
          expect(parsed?.family).toBe(4);
          expect(parsed?.canonical).toBe([g[6]! >> 8, g[6]! & 255, g[7]! >> 8, g[7]! & 255].join('.'));
        } else {
          expect(parsed?.family).toBe(6);
          expect(parsed?.canonical).toBe(v6Reference(g));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('an IPv4 address, its mapped forms and the canonical text are one key', () => {
    fc.assert(
      fc.property(quad, fc.boolean(), (q, upper) => {
        const dotted = q.join('.');
        const mappedHex = `::${upper ? 'FFFF' : 'ffff'}:${hex((q[0]! << 8) | q[1]!, 1, upper)}:${hex((q[2]! << 8) | q[3]!, 1, upper)}`;
        for (const text of [dotted, `::ffff:${dotted}`, `0:0:0:0:0:ffff:${dotted}`, mappedHex, `[::ffff:${dotted}]`]) {
          expect(parseAddress(text)?.canonical, text).toBe(dotted);
        }
      }),
    );
  });

  it('an IPv4-compatible form (::a.b.c.d) is the IPv6 address with those low bytes', () => {
    fc.assert(
      fc.property(quad, (q) => {
        fc.pre(q[0] !== 0 || q[1] !== 0);
        const g = [0, 0, 0, 0, 0, 0, (q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!];
        expect(parseAddress(`::${q.join('.')}`)?.canonical).toBe(v6Reference(g));
      }),
    );
  });

  it('octets with leading zeros, out of range or extra parts are refused', () => {
    fc.assert(
      fc.property(quad, fc.integer({ min: 0, max: 3 }), (q, at) => {
        const lead = q.map((x, i) => (i === at ? `0${x}` : String(x))).join('.');
        expect(parseAddress(lead)).toBeUndefined();
        const big = q.map((x, i) => (i === at ? String(256 + x) : String(x))).join('.');
        expect(parseAddress(big)).toBeUndefined();
        expect(parseAddress(`${q.join('.')}.1`)).toBeUndefined();
      }),
    );
  });
});

function toBig(bytes: readonly number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function inNetwork(ip: readonly number[], net: readonly number[], prefix: number): boolean {
  const bits = BigInt(ip.length * 8);
  const shift = bits - BigInt(prefix);
  return toBig(ip) >> shift === toBig(net) >> shift;
}

function bytesOf(g: readonly number[]): number[] {
  return g.flatMap((x) => [x >> 8, x & 255]);
}

describe('CIDR membership matches a BigInt reference', () => {
  it('IPv4', () => {
    fc.assert(
      fc.property(quad, quad, fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 32 }), (net, ip, prefix, flip) => {
        // Half the time, an address that shares the network's first bits (flip one bit after them).
        const near = [...net];
        if (flip < 32) near[flip >> 3]! ^= 0x80 >> (flip & 7);
        const matcher = new AddressMatcher([`${net.join('.')}/${prefix}`]);
        for (const candidate of [ip, near]) {
          expect(matcher.has(candidate.join('.'))).toBe(inNetwork(candidate, net, prefix));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('IPv6, and an IPv4 never matches an IPv6 network', () => {
    fc.assert(
      fc.property(groups, groups, fc.integer({ min: 0, max: 128 }), fc.integer({ min: 0, max: 127 }), (netG, ipG, prefix, flip) => {
        fc.pre(!(netG.slice(0, 5).every((x) => x === 0) && netG[5] === 0xffff));
        const net = bytesOf(netG);
        const near = [...net];
        near[flip >> 3]! ^= 0x80 >> (flip & 7);
        const text = (b: number[]) => v6Reference(Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!));
        fc.pre(!(near.slice(0, 10).every((x) => x === 0) && near[10] === 255 && near[11] === 255));
        const matcher = new AddressMatcher([`${text(net)}/${prefix}`]);
        for (const candidate of [bytesOf(ipG), near]) {
          if (candidate.slice(0, 10).every((x) => x === 0) && candidate[10] === 255 && candidate[11] === 255) continue;
          expect(matcher.has(text(candidate))).toBe(inNetwork(candidate, net, prefix));
        }
        expect(matcher.has('192.0.2.1')).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('durations', () => {
  const units = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
  it('a sum of unit terms is the sum of their milliseconds, and formatDuration reads back', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[]))), { minLength: 1, maxLength: 5 }), (terms) => {
        const text = terms.map(([n, u]) => `${n}${u}`).join('');
        const expected = terms.reduce((sum, [n, u]) => sum + n * units[u], 0);
        expect(parseDuration(text)).toBe(expected);
        if (expected >= 1000) expect(parseDuration(formatDuration(expected))).toBe(expected);
      }),
    );
  });

  it('plain numbers are seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (n) => {
        expect(parseDuration(n)).toBe(n * 1000);
        expect(parseDuration(String(n))).toBe(n * 1000);
      }),
    );
  });
});

describe('the findtime window', () => {
  it('a failure counts exactly while now - t < findtime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 2, max: 8 }),
        fc.array(fc.integer({ min: 0, max: 300_000 }), { minLength: 1, maxLength: 40 }),
        (findtime, maxretry, gaps) => {
          const tracker = new FailureTracker({ findtime, maxretry });
          // Reference: the times since the last ban; a ban clears the host.
          let kept: number[] = [];
          let t = 1_000_000;
          for (const gap of gaps) {
            t += gap;
            kept = kept.filter((x) => t - x < findtime);
            kept.push(t);
            const result = tracker.add('192.0.2.1', t);
            expect(result.count).toBe(kept.length);
            expect(result.ban).toBe(kept.length >= maxretry);
            if (result.ban) kept = [];
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('a failure exactly findtime old no longer counts, one a millisecond younger does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 3, max: 6 }), (findtime, maxretry) => {
        const edge = new FailureTracker({ findtime, maxretry });
        edge.add('h', 0);
        edge.add('h', 1);
        expect(edge.add('h', findtime).count).toBe(2);
        const inside = new FailureTracker({ findtime, maxretry });
        inside.add('h', 0);
        expect(inside.add('h', findtime - 1).count).toBe(2);
        const single = new FailureTracker({ findtime, maxretry });
        single.add('h', 0);
        expect(single.add('h', findtime).count).toBe(1);
      }),
    );
  });
});

describe('date detection round-trips', () => {
  const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2037, 11, 31) }).map((ms) => Math.floor(ms / 1000) * 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

  it('ISO 8601 with a zone, Apache error, ctime and epoch give back the instant', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: -12, max: 14 }), (ms, zoneHours) => {
        const detector = new DateDetector({ now: () => ms + 86_400_000 });
        const local = new Date(ms + zoneHours * 3_600_000);
        const ymd = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
        const hms = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
        const zone = `${zoneHours < 0 ? '-' : '+'}${pad(Math.abs(zoneHours))}:00`;
        expect(detector.detect(`${ymd}T${hms}${zone} host sshd[1]: x`)?.time).toBe(ms);
        expect(detector.detect(`${Math.floor(ms / 1000)}.250 x`)?.time).toBe(ms + 250);
      }),
    );
  });

  it('RFC 3164 dates take the latest year that is not in the future', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 300 * 86_400_000 }), (ms, ahead) => {
        const previous = process.env.TZ;
        const d = new Date(ms);
        const line = `${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} host sshd[1]: x`;
        const detector = new DateDetector({ now: () => ms + ahead });
        expect(detector.detect(line)?.time, `${line} TZ=${previous}`).toBe(ms);
        const ctime = `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()} [pid 1] x`;
        expect(new DateDetector({ now: () => ms }).detect(ctime)?.time, ctime).toBe(ms);
      }),
    );
  });
});
