// Date detection against a model: near-miss dates (one or two characters of a real date replaced, dropped or
// doubled, fields out of range, zones and fractions that almost parse) are answered exactly as a plain
// regex-and-Date reference reads the formats of docs/architecture.md ("Lines" 2), and a detector that has read
// the previous lines answers as a fresh one. The round-trip tests show valid dates come back; these show what is
// not a date stays none, and where a date ends.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DateDetector } from '../src/parsing/date-detector.js';
import { useTimeZone } from './time-zone.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

interface Answer {
  time: number;
  start: number;
  end: number;
  rfc3164: boolean;
}

/** Milliseconds of a fraction's digits: the first three count, the rest are below a millisecond. */
const millis = (digits: string | undefined): number => (digits ? Number(digits.slice(0, 3).padEnd(3, '0')) : 0);

function daysIn(y: number, mo: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, mo + 1, 0);
  return d.getUTCDate();
}

interface Clock {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  ms: number;
}

/** Whether the fields name a real moment (a leap second `:60` counts, as its minute's 59th second). */
function valid(c: Clock): boolean {
  return c.mo >= 0 && c.mo <= 11 && c.d >= 1 && c.d <= daysIn(c.y, c.mo) && c.h <= 23 && c.mi <= 59 && c.s <= 60;
}

/** The instant of the fields in the zone `offset` minutes east of UTC, or in the process's zone. */
function instant(c: Clock, offset: number | undefined): number {
  const s = Math.min(c.s, 59);
  if (offset !== undefined) {
    const d = new Date(0);
    d.setUTCFullYear(c.y, c.mo, c.d);
    d.setUTCHours(c.h, c.mi, s, c.ms);
    return d.getTime() - offset * 60_000;
  }
  const d = new Date(2000, 0, 1);
  d.setFullYear(c.y, c.mo, c.d);
  d.setHours(c.h, c.mi, s, c.ms);
  return d.getTime();
}

/** `Z`, `±HH`, `±HHMM` or `±HH:MM` (hours to 23, minutes to 59) at the start of `text`. */
function zoneOf(text: string): { offset: number; length: number } | undefined {
  if (text.startsWith('Z')) return { offset: 0, length: 1 };
  const m = /^([+-])(\d\d)(?::(\d\d)|(\d\d))?/.exec(text);
  if (!m) return undefined;
  const hh = Number(m[2]);
  const mm = Number(m[3] ?? m[4] ?? 0);
  if (hh > 23 || mm > 59) return undefined;
  return { offset: (m[1] === '-' ? -1 : 1) * (hh * 60 + mm), length: m[0].length };
}

type Parsed = { clock: Clock; offset?: number | undefined; noYear?: boolean; length: number } | 'none' | 'invalid';

const MDC = String.raw`([a-z]{3}) {1,2}(\d\d?) (\d\d):(\d\d):(\d\d)(?:[.,](\d+))?`;

/** Each format read with a regex; 'none' when the text does not have its shape, 'invalid' when the shape holds but no such moment exists. */
const formats: ((text: string, now: number) => Parsed)[] = [
  // RFC 3164 `Mmm dd HH:MM:SS[.frac]`, its year the latest that is not over a minute ahead of the clock.
  (text, now) => {
    const m = new RegExp(`^${MDC}`, 'i').exec(text);
    const mo = m ? MONTHS.indexOf(m[1]!.toLowerCase()) : -1;
    if (!m || mo < 0) return 'none';
    const latest = now + 60_000;
    const year = new Date(latest).getFullYear();
    const base = { mo, d: Number(m[2]), h: Number(m[3]), mi: Number(m[4]), s: Number(m[5]), ms: millis(m[6]) };
    if (!valid({ ...base, y: 2000 })) return 'invalid';
    for (let y = year; y > year - 9; y--) {
      const clock = { ...base, y };
      if (valid(clock) && instant(clock, undefined) <= latest) return { clock, noYear: true, length: m[0].length };
    }
    return 'invalid';
  },
  // ISO 8601 / RFC 5424 / lighttpd, optionally in brackets.
  bracketed((text) => {
    const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d+))?/.exec(text);
    if (!m || m[2] === '00') return 'none';
    const clock = { y: Number(m[1]), mo: Number(m[2]) - 1, d: Number(m[3]), h: Number(m[4]), mi: Number(m[5]), s: Number(m[6]), ms: millis(m[7]) };
    const zone = zoneOf(text.slice(m[0].length));
    let length = m[0].length + (zone?.length ?? 0);
    if (!zone && text[length] === ':' && (length + 1 === text.length || text[length + 1] === ' ')) length++;
    return { clock, offset: zone?.offset, length };
  }),
  // ctime `Www Mmm dd HH:MM:SS[.frac] YYYY`, optionally in brackets.
  bracketed((text) => {
    const m = new RegExp(`^([a-z]{3}) ${MDC} (\\d{4})`, 'i').exec(text);
    if (!m || !DAYS.includes(m[1]!.toLowerCase()) || !MONTHS.includes(m[2]!.toLowerCase())) return 'none';
    const clock = { y: Number(m[8]), mo: MONTHS.indexOf(m[2]!.toLowerCase()), d: Number(m[3]), h: Number(m[4]), mi: Number(m[5]), s: Number(m[6]), ms: millis(m[7]) };
    return { clock, length: m[0].length };
  }),
  // Epoch seconds, 9 or 10 digits, then the end of the line, a space or a tab.
  (text) => {
    const m = /^(\d{9,10})(?:[.,](\d+))?(?=$|[ \t])/.exec(text);
    if (!m) return 'none';
    const d = new Date(Number(m[1]) * 1000);
    const clock = { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ms: millis(m[2]) };
    return { clock, offset: 0, length: m[0].length };
  },
  // TAI64N `@` + 16 hex digits of seconds (from 2^62 + 10) + 8 of nanoseconds.
  (text) => {
    const m = /^@([0-9a-f]{16})([0-9a-f]{8})/i.exec(text);
    if (!m) return 'none';
    const seconds = Number(BigInt(`0x${m[1]}`) - (2n ** 62n + 10n));
    const nanos = Number.parseInt(m[2]!, 16);
    if (Math.abs(seconds) > 1e11 || nanos > 999_999_999) return 'none';
    const d = new Date(0);
    d.setUTCSeconds(seconds);
    const clock = { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ms: Math.floor(nanos / 1e6) };
    return { clock, offset: 0, length: 25 };
  },
  // nginx `YYYY/MM/DD HH:MM:SS`, optionally in brackets.
  bracketed((text) => {
    const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/.exec(text);
    if (!m || m[2] === '00') return 'none';
    return { clock: { y: Number(m[1]), mo: Number(m[2]) - 1, d: Number(m[3]), h: Number(m[4]), mi: Number(m[5]), s: Number(m[6]), ms: 0 }, length: m[0].length };
  }),
];

function bracketed(parse: (text: string, now: number) => Parsed): (text: string, now: number) => Parsed {
  return (text, now) => {
    if (!text.startsWith('[')) return parse(text, now);
    const inner = parse(text.slice(1), now);
    if (typeof inner === 'string') return inner;
    return text[inner.length + 1] === ']' ? { ...inner, length: inner.length + 2 } : 'none';
  };
}

/** The Apache access date `[dd/Mon/yyyy:HH:MM:SS ±HHMM]` anywhere in the line. */
function apacheAccess(line: string): Answer | undefined {
  const re = /\[(\d\d)\/([a-z]{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]/gi;
  for (let i = line.indexOf('['); i !== -1; i = line.indexOf('[', i + 1)) {
    re.lastIndex = i;
    const m = re.exec(line);
    if (!m || m.index !== i) continue;
    const mo = MONTHS.indexOf(m[2]!.toLowerCase());
    const zone = zoneOf(m[7]!);
    const clock = { y: Number(m[3]), mo, d: Number(m[1]), h: Number(m[4]), mi: Number(m[5]), s: Number(m[6]), ms: 0 };
    if (mo < 0 || !zone || !valid(clock)) continue;
    return { time: instant(clock, zone.offset), start: i, end: i + 28, rfc3164: false };
  }
  return undefined;
}

/** What a line's date is, read by the model. */
function reference(line: string, now: number): Answer | undefined {
  let p = 0;
  const pri = /^<\d{1,4}>/.exec(line);
  if (pri) p = pri[0].length + (line.startsWith('1 ', pri[0].length) ? 2 : 0);
  const text = line.slice(p);
  for (const [k, format] of formats.entries()) {
    const r = format(text, now);
    if (r === 'none') continue;
    if (r === 'invalid' || !valid(r.clock)) return undefined;
    return { time: instant(r.clock, r.offset), start: 0, end: p + r.length, rfc3164: k === 0 };
  }
  return apacheAccess(line);
}

// Real dates in every format, with the text around them a log gives.
const SAMPLES = [
  'Mar  7 06:25:13 host sshd[1]: Failed password',
  '<34>Oct 11 22:14:15 mymachine su: x',
  '<165>1 2003-10-11T22:14:15.003Z mymachine app - - x',
  '2005-02-25 13:34:10: (mod_auth.c.828) x',
  '2024-02-29T23:59:60+05:30 host x',
  '2024-01-31 10:00:00,123 INFO x',
  '[2024-06-01 08:00:00.5] [auth:error] x',
  'Sat Jun 01 08:00:00.123456 2024 [pid 1] x',
  '[Sat Jun 01 08:00:00 2024] [error] x',
  '2023/12/31 23:59:59 [error] 12#0: *1 x',
  '[2023/12/31 23:59:59] [error] x',
  '1108338850.123 x',
  '1108338850\tx',
  '@4000000042a1b2c3000186a0 hello',
  '192.0.2.1 - bob [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 401 12',
  '2024-07-04 12:30:00-0400 x',
  '2024-07-04 12:30:00 +0400 x',
  'Dec 31 23:59:59 host x',
  'Feb 29 12:00:00 host x',
];

const NOISE = '0123456789 :-/.,+TZ[]@<>1aA\t';

/** One change to a line: a character replaced, dropped or doubled at a place near its start. */
const edit = fc.record({
  kind: fc.constantFrom('replace', 'drop', 'double'),
  at: fc.nat({ max: 40 }),
  char: fc.constantFrom(...NOISE),
});

function apply(line: string, { kind, at, char }: { kind: string; at: number; char: string }): string {
  if (at >= line.length) return line;
  if (kind === 'replace') return line.slice(0, at) + char + line.slice(at + 1);
  if (kind === 'drop') return line.slice(0, at) + line.slice(at + 1);
  return line.slice(0, at + 1) + line.slice(at);
}

for (const zone of ['UTC', 'America/New_York']) {
  describe(`near-miss dates in TZ=${zone}`, () => {
    useTimeZone(zone);
    // Mid-year, away from New Year's Eve and the samples' own days.
    const now = Date.UTC(2024, 6, 10, 12, 0, 0);

    it('the model reads every sample as the detector does', () => {
      for (const line of SAMPLES) {
        const r = new DateDetector({ now: () => now }).detect(line);
        expect(r && { ...r }, line).toEqual(reference(line, now));
        expect(reference(line, now), `${line} is a date`).toBeDefined();
      }
    });

    it('a line with one or two characters changed is read as the model reads it', () => {
      fc.assert(
        fc.property(fc.constantFrom(...SAMPLES), fc.array(edit, { minLength: 1, maxLength: 2 }), (sample, edits) => {
          const line = edits.reduce(apply, sample);
          const r = new DateDetector({ now: () => now }).detect(line);
          expect(r && { ...r }, JSON.stringify(line)).toEqual(reference(line, now));
        }),
        { numRuns: 3000, endOnFailure: true },
      );
    });

    it('a detector that has read the previous lines answers as a fresh one', () => {
      // Consecutive lines share a date up to a few characters: the caches of the last date, its minute and
      // its hour are hit and must fall through exactly when the text no longer matches.
      fc.assert(
        fc.property(fc.constantFrom(...SAMPLES), fc.array(fc.array(edit, { maxLength: 2 }), { minLength: 2, maxLength: 10 }), (sample, steps) => {
          const detector = new DateDetector({ now: () => now });
          for (const edits of steps) {
            const line = edits.reduce(apply, sample);
            const fresh = new DateDetector({ now: () => now }).detect(line);
            const r = detector.detect(line);
            expect(r && { ...r }, JSON.stringify(line)).toEqual(fresh && { ...fresh });
          }
        }),
        { numRuns: 600, endOnFailure: true },
      );
    });

    it('fields out of range are no date; the last valid second, day and offset are', () => {
      const cases: [string, boolean][] = [
        ['2024-01-01 23:59:59 x', true],
        ['2024-01-01 24:00:00 x', false],
        ['2024-01-01 23:60:00 x', false],
        ['2024-01-01 23:59:61 x', false],
        ['2024-12-31 10:00:00 x', true],
        ['2024-13-01 10:00:00 x', false],
        ['2023-02-29 10:00:00 x', false],
        ['2000-02-29 10:00:00 x', true],
        ['1900-02-29 10:00:00 x', false],
        ['2024-04-31 10:00:00 x', false],
        ['2024-01-00 10:00:00 x', false],
        ['2024-01-01 10:00:00+23:59 x', true],
        ['2024-01-01 10:00:00+2359 x', true],
        ['2024-01-01 10:00:00+23 x', true],
        ['2024-01-01 10:00:00-12:00 x', true],
        ['Jan 31 10:00:00 x', true],
        ['Jun 31 10:00:00 x', false],
        ['Jan  0 10:00:00 x', false],
        ['Jan 32 10:00:00 x', false],
        ['[01/Jan/2024:23:59:59 +2359]', true],
        ['[01/Jan/2024:24:00:00 +0000]', false],
        ['[00/Jan/2024:10:00:00 +0000]', false],
        ['[29/Feb/2023:10:00:00 +0000]', false],
        ['[01/Jan/2024:10:00:00 +2400]', false],
        ['[01/Jan/2024:10:00:00 +0060]', false],
        ['999999999 x', true],
        ['99999999 x', false],
        ['10000000000 x', false],
        ['@4000000042a1b2c33b9ac9ff x', true],
        ['@4000000042a1b2c33b9aca00 x', false],
      ];
      for (const [line, isDate] of cases) {
        const r = new DateDetector({ now: () => now }).detect(line);
        expect(r !== undefined, line).toBe(isDate);
        expect(r && { ...r }, line).toEqual(reference(line, now));
      }
    });

    it('a zone out of range is no zone: the date is local and ends before it', () => {
      for (const [line, end] of [
        ['2024-01-01 10:00:00+24:00 x', 19],
        ['2024-01-01 10:00:00+12:60 x', 19],
        ['2024-01-01 10:00:00+1260 x', 19],
        ['2024-01-01 10:00:00+ab x', 19],
      ] as const) {
        const r = new DateDetector({ now: () => now }).detect(line);
        expect(r && { ...r }, line).toEqual({ time: new Date(2024, 0, 1, 10).getTime(), start: 0, end, rfc3164: false });
      }
    });

    it('a fraction counts to the millisecond, whatever digits follow', () => {
      for (const [digits, ms] of [
        ['9', 900],
        ['99', 990],
        ['999', 999],
        ['9999999999999999999', 999],
        ['0009', 0],
        ['5', 500],
      ] as const) {
        const r = new DateDetector({ now: () => now }).detect(`2024-01-01T10:00:00.${digits}Z x`);
        expect(r?.time, digits).toBe(Date.UTC(2024, 0, 1, 10, 0, 0, ms));
      }
    });

    it('a year before 100 is that year, not the twentieth century', () => {
      for (const line of ['0050-03-01 10:00:00Z x', '0050-03-01 10:00:00 x', '[01/Jan/0099:10:00:00 +0000]']) {
        const r = new DateDetector({ now: () => now }).detect(line);
        expect(r && { ...r }, line).toEqual(reference(line, now));
        expect(new Date(r!.time).getUTCFullYear() < 100, line).toBe(true);
      }
      expect(new Date(reference('0050-03-01 10:00:00Z x', now)!.time).getUTCFullYear()).toBe(50);
    });
  });
}
