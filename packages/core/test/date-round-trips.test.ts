// Date detection as a log meets it: an instant written in each supported format (docs/architecture.md,
// "Lines" 2), in several time zones and across the years, is detected back as the same instant with the
// span of its text; a detector that has read other lines answers as a fresh one (its caches are invisible);
// and syslog dates without a year roll over into the new year with the clock.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DetectedDate, DateDetector } from '../src/parsing/date-detector.js';
import { useTimeZone } from './time-zone.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');

/** Calendar fields of an instant, in UTC shifted by `offset` minutes, or in the process's zone. */
function fields(ms: number, offset: number | 'local') {
  if (offset === 'local') {
    const d = new Date(ms);
    return { y: d.getFullYear(), mo: d.getMonth(), d: d.getDate(), h: d.getHours(), mi: d.getMinutes(), s: d.getSeconds(), ms: d.getMilliseconds(), wd: d.getDay() };
  }
  const d = new Date(ms + offset * 60_000);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth(), d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), wd: d.getUTCDay() };
}

/** A local time that names one instant (not in a DST gap or a repeated hour). */
function unambiguous(ms: number): boolean {
  const f = fields(ms, 'local');
  return new Date(f.y, f.mo, f.d, f.h, f.mi, f.s, f.ms).getTime() === ms && new Date(ms + 3_600_000).getHours() !== f.h;
}

type Written = { line: string; start: number; end: number; rfc3164?: boolean; now?: number; time?: number };

/** How each format writes an instant; `pick` holds the random choices (spelling, padding, fraction, zone). */
const formats: Record<string, (ms: number, pick: Pick, now: number) => Written | undefined> = {
  iso(ms, p) {
    const offset = p.offsetMinutes;
    const f = fields(ms, offset);
    const zone =
      offset === 0 && p.z
        ? 'Z'
        : `${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}${[':', '', ':', ''][p.variant % 4]}${pad(offset % 60)}`;
    const short = offset % 60 === 0 && p.variant % 5 === 4 ? `${offset < 0 ? '-' : '+'}${pad(offset / 60)}` : zone;
    const pri = p.variant % 3 === 0 ? '<34>1 ' : '';
    const text = `${pri}${f.y}-${pad(f.mo + 1)}-${pad(f.d)}${p.variant % 2 ? 'T' : ' '}${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${fraction(f.ms, p)}${short}`;
    return { line: `${text} host sshd[1]: x`, start: 0, end: text.length, time: p.fraction ? ms : ms - f.ms };
  },
  isoLocal(ms, p) {
    const f = fields(ms, 'local');
    const body = `${f.y}-${pad(f.mo + 1)}-${pad(f.d)}${p.variant % 2 ? 'T' : ' '}${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${fraction(f.ms, p)}`;
    if (p.variant % 3 === 1) return { line: `[${body}] [auth_basic:error] [pid 1] x`, start: 0, end: body.length + 2, time: p.fraction ? ms : ms - f.ms };
    // lighttpd: a colon after the date belongs to it.
    if (p.variant % 3 === 2) return { line: `${body}: (mod_auth.c.828) x`, start: 0, end: body.length + 1, time: p.fraction ? ms : ms - f.ms };
    return { line: `${body} host x`, start: 0, end: body.length, time: p.fraction ? ms : ms - f.ms };
  },
  nginx(ms, p) {
    const f = fields(ms, 'local');
    const body = `${f.y}/${pad(f.mo + 1)}/${pad(f.d)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}`;
    const text = p.variant % 2 ? `[${body}]` : body;
    return { line: `${text} [error] 12#0: *1 x`, start: 0, end: text.length, time: ms - f.ms };
  },
  ctime(ms, p) {
    const f = fields(ms, 'local');
    const body = `${DAYS[f.wd]} ${MONTHS[f.mo]} ${day(f.d, p)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${fraction(f.ms, p)} ${f.y}`;
    const text = p.variant % 2 ? `[${body}]` : body;
    return { line: `${text} [pid 1] x`, start: 0, end: text.length, time: p.fraction ? ms : ms - f.ms };
  },
  rfc3164(ms, p, now) {
    const f = fields(ms, 'local');
    const pri = p.variant % 3 === 0 ? `<${p.variant % 192}>` : '';
    const text = `${pri}${MONTHS[f.mo]} ${day(f.d, p)} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${fraction(f.ms, p)}`;
    return { line: `${text} host sshd[1]: x`, start: 0, end: text.length, rfc3164: true, now, time: p.fraction ? ms : ms - f.ms };
  },
  epoch(ms, p) {
    const seconds = Math.floor(ms / 1000);
    const text = `${seconds}${p.fraction ? `.${pad(ms % 1000, 3)}` : ''}`;
    return { line: `${text}${['', ' x', '\tx'][p.variant % 3]}`, start: 0, end: text.length, time: p.fraction ? ms : seconds * 1000 };
  },
  tai64n(ms, p) {
    const seconds = BigInt(Math.floor(ms / 1000));
    const label = (2n ** 62n + 10n + seconds).toString(16).padStart(16, '0') + ((ms % 1000) * 1e6 + (p.variant % 1000)).toString(16).padStart(8, '0');
    const text = `@${p.z ? label.toUpperCase() : label}`;
    return { line: `${text} hello`, start: 0, end: text.length, time: ms };
  },
  apacheAccess(ms, p) {
    const offset = p.offsetMinutes;
    const f = fields(ms, offset);
    const date = `[${pad(f.d)}/${MONTHS[f.mo]}/${f.y}:${pad(f.h)}:${pad(f.mi)}:${pad(f.s)} ${offset < 0 ? '-' : '+'}${pad(Math.trunc(offset / 60))}${pad(offset % 60)}]`;
    const before = ['192.0.2.1 - bob ', '192.0.2.1 - [x] ', 'h [a] [b/c] - ', ''][p.variant % 4]!;
    const after = p.z ? '' : ' "GET / HTTP/1.0" 401 12';
    return { line: `${before}${date}${after}`, start: before.length, end: before.length + 28, time: ms - f.ms };
  },
};

function fraction(ms: number, p: Pick): string {
  if (!p.fraction) return '';
  return `${p.variant % 2 ? '.' : ','}${pad(ms, 3)}${'0'.repeat(p.variant % 4)}`;
}

function day(d: number, p: Pick): string {
  return d >= 10 ? String(d) : `${['0', ' ', ''][p.variant % 3]}${d}`;
}

interface Pick {
  offsetMinutes: number;
  z: boolean;
  fraction: boolean;
  variant: number;
}

const pick: fc.Arbitrary<Pick> = fc.record({
  offsetMinutes: fc.oneof(fc.constant(0), fc.integer({ min: -12, max: 14 }).chain((h) => fc.constantFrom(h * 60, h * 60 + Math.sign(h || 1) * 30, h * 60 + Math.sign(h || 1) * 45))),
  z: fc.boolean(),
  fraction: fc.boolean(),
  variant: fc.nat({ max: 10_000 }),
});

/** Instants from 1990 to 2099, to the millisecond. */
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 31) });

function copy(r: DetectedDate | undefined): DetectedDate | undefined {
  return r && { ...r };
}

for (const zone of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC']) {
  describe(`in TZ=${zone}`, () => {
    useTimeZone(zone);

    it('an instant written in each format is detected back, with its span and kind', () => {
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(formats)), instant, pick, fc.integer({ min: -60_000, max: 300 * 86_400_000 }), (format, ms, p, ahead) => {
          fc.pre(format === 'iso' || format === 'epoch' || format === 'tai64n' || format === 'apacheAccess' || unambiguous(ms));
          const w = formats[format]!(ms, p, ms + ahead)!;
          const r = new DateDetector({ now: () => w.now ?? Date.UTC(2100, 0, 1) }).detect(w.line);
          expect(copy(r), w.line).toEqual({ time: w.time, start: w.start, end: w.end, rfc3164: w.rfc3164 ?? false });
        }),
        { numRuns: 400, endOnFailure: true },
      );
    });

    it('a detector that has read other lines answers as a fresh one', () => {
      // Lines close in time (same second, same minute, next hours), in mixed formats, sometimes with text that
      // extends or breaks the date: the caches of the last date, minute and hour must never show.
      const step = fc.record({
        format: fc.constantFrom(...Object.keys(formats)),
        delta: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 7_200_000 })),
        p: pick,
        tail: fc.constantFrom('', '', '', '5', '.5', ',25', 'Z', '+01:00', '-0530', ':', ': x', ']', '0 x', 'x'),
        cut: fc.oneof(fc.constant(-1), fc.nat({ max: 30 })),
      });
      fc.assert(
        fc.property(instant, fc.array(step, { minLength: 2, maxLength: 12 }), (start, steps) => {
          const now = start + 86_400_000;
          const detector = new DateDetector({ now: () => now });
          let ms = start;
          for (const { format, delta, p, tail, cut } of steps) {
            ms += delta;
            const w = formats[format]!(ms, p, now)!;
            // Text right after the date, or the line cut short inside it.
            const line = cut >= 0 ? w.line.slice(0, cut) : w.line.slice(0, w.end) + tail + w.line.slice(w.end);
            const fresh = new DateDetector({ now: () => now }).detect(line);
            expect(copy(detector.detect(line)), line).toEqual(copy(fresh));
          }
        }),
        { numRuns: 150, endOnFailure: true },
      );
    });

    it('syslog dates without a year roll over with the clock, up to a minute ahead of it', () => {
      // A clock that moves across New Year's Eve, lines written up to a minute ahead of it or read late.
      fc.assert(
        fc.property(fc.integer({ min: 1990, max: 2098 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: -60_000, max: 600_000 })), { minLength: 1, maxLength: 30 }), (year, steps) => {
          let now = 0;
          const detector = new DateDetector({ now: () => now });
          let ms = new Date(year, 11, 31, 23, 58, 0).getTime();
          for (const [gap, lag] of steps) {
            ms += gap;
            fc.pre(unambiguous(ms));
            now = ms + lag;
            const f = fields(ms, 'local');
            const line = `${MONTHS[f.mo]} ${String(f.d).padStart(2, ' ')} ${pad(f.h)}:${pad(f.mi)}:${pad(f.s)} host sshd[1]: x`;
            expect(detector.detect(line)?.time, `${line} read at ${new Date(now).toString()}`).toBe(ms - f.ms);
          }
        }),
        { numRuns: 100, endOnFailure: true },
      );
    });

    it('a syslog date more than a minute ahead of the clock is last year\'s', () => {
      for (const [line, y, mo, d, h, mi] of [
        ['Jan  1 00:00:30 h x: y', 2024, 0, 1, 0, 0],
        ['Mar  1 12:00:00 h x: y', 2023, 2, 1, 12, 0],
        ['Dec 31 23:59:59 h x: y', 2030, 11, 31, 23, 59],
      ] as const) {
        const t = new Date(y, mo, d, h, mi, Number(line.slice(13, 15))).getTime();
        expect(new DateDetector({ now: () => t - 60_000 }).detect(line)?.time, line).toBe(t);
        expect(new DateDetector({ now: () => t - 60_001 }).detect(line)?.time, line).toBe(new Date(y - 1, mo, d, h, mi, Number(line.slice(13, 15))).getTime());
      }
    });

    it('Feb 29 without a year is the latest leap day, up to eight years back (2097..2103 have none)', () => {
      const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      fc.assert(
        fc.property(fc.oneof(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2199, 0, 1) }), fc.integer({ min: Date.UTC(2100, 0, 1), max: Date.UTC(2104, 5, 1) })), (now) => {
          let y = new Date(now + 60_000).getFullYear();
          while (!leap(y) || new Date(y, 1, 29, 12, 0, 0).getTime() > now + 60_000) y--;
          const got = new DateDetector({ now: () => now }).detect('Feb 29 12:00:00 host x: y')?.time;
          expect(got).toBe(new Date(y, 1, 29, 12, 0, 0).getTime());
        }),
        { numRuns: 100, endOnFailure: true },
      );
      expect(new DateDetector({ now: () => Date.UTC(2104, 0, 15) }).detect('Feb 29 12:00:00 h x: y')?.time).toBe(new Date(2096, 1, 29, 12).getTime());
      expect(new DateDetector().detect('Feb 30 12:00:00 h x: y')).toBeUndefined();
    });

    it('seconds of one minute, a leap second, and other minutes through the caches', () => {
      const detector = new DateDetector({ now: () => Date.UTC(2030, 0, 1) });
      const fresh = (line: string) => new DateDetector({ now: () => Date.UTC(2030, 0, 1) }).detect(line)?.time;
      for (const line of [
        '2016-12-31T23:59:58Z a',
        '2016-12-31T23:59:59Z b',
        '2016-12-31T23:59:60Z leap',
        '2017-01-01T00:00:00Z c',
        '2017-01-01T00:00:00.5Z d',
        '2017-01-01T00:00:01Z e',
        '2017-01-01T00:00:61Z f',
        '2017-01-01T00:00:1 g',
        'Jan  1 00:00:02 host x: y',
        'Jan  1 00:00:09 host x: y',
        'Jan  1 00:00:60 host x: y',
        'Jan  1 00:00:6x host x: y',
        'Jan  1 00:01:00 host x: y',
      ]) {
        expect(detector.detect(line)?.time, line).toBe(fresh(line));
      }
      expect(new Date(fresh('2016-12-31T23:59:60Z leap')!).toISOString()).toBe('2016-12-31T23:59:59.000Z');
      expect(fresh('2017-01-01T00:00:61Z f')).toBeUndefined();
    });
  });
}
