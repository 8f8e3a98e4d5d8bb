import { describe, expect, test } from 'vitest';
import { DateDetector } from '../src/parsing/date-detector.js';

const iso = (t: number | undefined): string | undefined =>
  t === undefined ? undefined : new Date(t).toISOString();

describe('DateDetector (explicit zones)', () => {
  const d = new DateDetector({ now: () => Date.UTC(2005, 2, 1) });
  test.each([
    ['2005-02-25T13:34:10Z sshd', '2005-02-25T13:34:10.000Z', 20],
    ['2005-02-25T13:34:10.123456+01:00 host', '2005-02-25T12:34:10.123Z', 32],
    ['2005-02-25T13:34:10+0100 host', '2005-02-25T12:34:10.000Z', 24],
    ['2005-02-25T13:34:10,5-05:30 x', '2005-02-25T19:04:10.500Z', 27],
    ['<34>1 2005-02-25T13:34:10.003Z host app - - - msg', '2005-02-25T13:34:10.003Z', 30],
    ['1108338850 rest', '2005-02-13T23:54:10.000Z', 10],
    ['1108338850.25 rest', '2005-02-13T23:54:10.250Z', 13],
    ['@4000000042a1b2c30000000a hello', '2005-06-04T13:55:05.000Z', 25],
    ['[2005-02-25 13:34:10.123456Z] [auth_basic:error] x', '2005-02-25T13:34:10.123Z', 29],
  ])('%s', (line, want, end) => {
    const r = d.detect(line);
    expect(iso(r?.time)).toBe(want);
    expect(r?.start).toBe(0);
    expect(r?.end).toBe(end);
  });

  test('Apache access date anywhere in the line, with its zone', () => {
    const line = '192.0.2.1 - bob [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 401 12';
    const r = d.detect(line);
    expect(iso(r?.time)).toBe('2000-10-10T20:55:36.000Z');
    expect(line.slice(r!.start, r!.end)).toBe('[10/Oct/2000:13:55:36 -0700]');
  });

  test.each([
    'Feb 30 25:61:00 host x: y',
    'Foo 25 13:34:10 x',
    '2005-13-01T00:00:00Z',
    '2005-02-29T00:00:00Z',
    'no date here',
    '',
    '[10/Foo/2000:13:55:36 -0700]',
    '12345 x',
    '[2005-02-25 13:34:10 x',
    '[2005-02-25 13:34:10: x',
  ])('no date in %j (and no throw)', (line) => {
    expect(d.detect(line)).toBeUndefined();
  });

  test('a cached date string is not mistaken for the prefix of a longer date', () => {
    const c = new DateDetector();
    expect(iso(c.detect('2005-02-25T13:34:10Z a')?.time)).toBe('2005-02-25T13:34:10.000Z');
    expect(iso(c.detect('2005-02-25T13:34:10Z b')?.time)).toBe('2005-02-25T13:34:10.000Z');
    expect(iso(c.detect('2005-02-25T13:34:10.5Z c')?.time)).toBe('2005-02-25T13:34:10.500Z');
  });
});

/**
 * Runs detections under another TZ. Node re-reads the zone when `process.env.TZ` is assigned (vitest runs
 * test files in forked processes, so this does not leak into other files); restored afterwards.
 */
function inZone(tz: string, now: string, lines: string[]): (string | null)[] {
  const before = process.env.TZ;
  process.env.TZ = tz;
  try {
    const d = new DateDetector({ now: () => Date.parse(now) });
    return lines.map((l) => {
      const r = d.detect(l);
      return r ? new Date(r.time).toISOString() : null;
    });
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

describe('DateDetector (local time, RFC 3164 year inference)', () => {
  test('zone-less times are local to TZ; year inferred so the date is never in the future', () => {
    const got = inZone('Europe/Berlin', '2005-03-01T12:00:00Z', [
      'Feb 25 13:34:10 host sshd[1]: x',
      'Feb  5 03:04:05 host x: y',
      'Mar  1 13:00:30 host x: y', // 12:00:30Z: 30 s ahead, within the minute of skew → this year
      'Mar  1 13:02:00 host x: y', // 2 min ahead → last year
      'Dec 31 23:59:59 host x: y', // last year
      'Feb 29 10:00:00 host x: y', // 2005 is not a leap year → 2004
      'Sat Feb 25 13:34:10 2005 [pid 1] x',
      '[Wed Oct 11 14:32:52.123 2000] [error]',
      '2005-02-25 13:34:10: (mod_auth.c.828) x',
      '2005-07-25T13:34:10 host',
      '[2005-02-25 13:34:10.123456] [auth_basic:error] [pid 1] x', // Apache `ErrorLogFormat "[%{cu}t] …"`
    ]);
    expect(got).toEqual([
      '2005-02-25T12:34:10.000Z',
      '2005-02-05T02:04:05.000Z',
      '2005-03-01T12:00:30.000Z',
      '2004-03-01T12:02:00.000Z',
      '2004-12-31T22:59:59.000Z',
      '2004-02-29T09:00:00.000Z',
      '2005-02-25T12:34:10.000Z',
      '2000-10-11T12:32:52.123Z',
      '2005-02-25T12:34:10.000Z',
      '2005-07-25T11:34:10.000Z',
      '2005-02-25T12:34:10.123Z',
    ]);
  });

  test('TZ really changes the zone in this process', () => {
    expect(inZone('Europe/Berlin', '2005-03-01T00:00:00Z', ['2005-01-01T00:00:00 x'])).toEqual([
      '2004-12-31T23:00:00.000Z',
    ]);
    expect(inZone('America/New_York', '2005-03-01T00:00:00Z', ['2005-01-01T00:00:00 x'])).toEqual([
      '2005-01-01T05:00:00.000Z',
    ]);
  });

  test('UTC zone gives UTC times', () => {
    expect(inZone('UTC', '2005-03-01T00:00:00Z', ['Feb 25 13:34:10 h p: m'])).toEqual([
      '2005-02-25T13:34:10.000Z',
    ]);
  });
});

describe('DateDetector (edges of each format)', () => {
  const at = (line: string, now = Date.UTC(2030, 0, 1)) => {
    const r = new DateDetector({ now: () => now }).detect(line);
    return r && { iso: new Date(r.time).toISOString(), start: r.start, end: r.end, rfc3164: r.rfc3164 };
  };
  test.each([
    ['<38>Feb 25 13:34:10 h x: y', '2005-02-25', 19],
    ['<1>Feb 25 13:34:10 h x: y', '2005-02-25', 18],
    ['<1234>Feb 25 13:34:10 h x: y', '2005-02-25', 21],
    ['<34>1 2005-02-25T13:34:10Z h', '2005-02-25', 26],
    ['<34>2005-02-25T13:34:10Z h', '2005-02-25', 24],
  ])('a syslog <PRI> (and RFC 5424 version) belongs to the date: %j', (line, day, end) => {
    const r = at(line, Date.UTC(2005, 5, 1));
    expect(r?.iso.slice(0, 10)).toBe(day);
    expect([r?.start, r?.end]).toEqual([0, end]);
  });

  test.each(['<12345>Feb 25 13:34:10 h x: y', '<>Feb 25 13:34:10 h x: y', '<34Feb 25 13:34:10 h x: y', '<34>12005-02-25T13:34:10Z h'])(
    'no date after a malformed <PRI>: %j',
    (line) => {
      expect(at(line)).toBeUndefined();
    },
  );

  test('epoch seconds: 9 or 10 digits, then a space, a tab or the end', () => {
    expect(at('123456789')?.iso).toBe('1973-11-29T21:33:09.000Z');
    expect(at('1108338850\tx')?.iso).toBe('2005-02-13T23:54:10.000Z');
    expect(at('1108338850.5')).toEqual({ iso: '2005-02-13T23:54:10.500Z', start: 0, end: 12, rfc3164: false });
    for (const line of ['12345678 x', '11083388501 x', '1108338850x', '1108338850.5x', '1108338850,']) expect(at(line), line).toBeUndefined();
  });

  test('TAI64N: 24 hex digits, nanoseconds below 10^9, seconds within reach', () => {
    expect(at('@4000000042a1b2c30000000a')?.iso).toBe('2005-06-04T13:55:05.000Z');
    expect(at('@4000000042A1B2C31DCD6500 x')?.iso).toBe('2005-06-04T13:55:05.500Z');
    expect(at('@4000000042a1b2c33b9ac9ff x')?.iso).toBe('2005-06-04T13:55:05.999Z');
    for (const line of ['@4000000042a1b2c33b9aca00 x', '@4000000042a1b2c30000000', '@4000000042a1b2g30000000a', '@7fffffffffffffff00000000', '@0000000000000000000000000', '4000000042a1b2c30000000a0']) {
      expect(at(line), line).toBeUndefined();
    }
  });

  test.each([
    ['2005-02-25T13:34:10+24:00 x', '2005-02-25T13:34:10.000Z', 19], // no zone +24: local time (TZ=UTC here)
    ['2005-02-25T13:34:10+01:60 x', '2005-02-25T13:34:10.000Z', 19],
    ['2005-02-25T13:34:10+01 x', '2005-02-25T12:34:10.000Z', 22],
    ['2005-02-25T13:34:10-0130 x', '2005-02-25T15:04:10.000Z', 24],
    ['2005-02-25T13:34:10+01:x', '2005-02-25T12:34:10.000Z', 22],
    ['2005-02-25T13:34:10.Z', '2005-02-25T13:34:10.000Z', 19],
    ['2005-02-25 13:34:10:', '2005-02-25T13:34:10.000Z', 20],
    ['2005-02-25 13:34:10:x', '2005-02-25T13:34:10.000Z', 19],
    ['Feb  5 03:04:05.25 h', '2005-02-05T03:04:05.250Z', 18],
    ['Feb 5 03:04:05 h', '2005-02-05T03:04:05.000Z', 14],
    ['Sat Feb 25 13:34:10 2005', '2005-02-25T13:34:10.000Z', 24],
  ])('zones, fractions and separators: %j', (line, iso, end) => {
    const before = process.env.TZ;
    process.env.TZ = 'UTC';
    try {
      expect(at(line, Date.UTC(2005, 5, 1))).toMatchObject({ iso, start: 0, end });
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  test.each([
    '2005-02-25X13:34:10Z',
    '2005/02-25T13:34:10Z',
    '2005-02/25T13:34:10Z',
    '2005-00-10T13:34:10Z',
    '2005-02-00T13:34:10Z',
    '2005-04-31T13:34:10Z',
    '2005-02-25T24:00:00Z',
    '2005-02-25T13:60:00Z',
    '2005-02-25T13:34:61Z',
    '2005-02-25T13-34:10Z',
    '2005-02-25T13:34-10Z',
    '200a-02-25T13:34:10Z',
    '2005-0b-25T13:34:10Z',
    '2005-02-2cT13:34:10Z',
    '2005/02/25T13:34:10',
    '2005/02-25 13:34:10',
    '2005-02/25 13:34:10',
    '2005/0b/25 13:34:10',
    '[2005/02/25 13:34:10 x',
    'Sat Feb 25 13:34:10 20x5',
    'Sat Feb 25 13:34:10x2005',
    'Sat-Feb 25 13:34:10 2005',
    'Sax Feb 25 13:34:10 2005',
    'Feb-25 13:34:10 h',
    'Feb 2513:34:10 h',
    'Feb x5 13:34:10 h',
    'Fe',
    '[10/Oct/2000:13:55:36 -0700',
    '[10-Oct/2000:13:55:36 -0700]',
    '[10/Oct-2000:13:55:36 -0700]',
    '[10/Oct/2000-13:55:36 -0700]',
    '[10/Oct/2000:13:55:36x-0700]',
    '[10/Oct/2000:13:55:36 x0700]',
    '[10/Oct/2000:13-55:36 -0700]',
    '[1x/Oct/2000:13:55:36 -0700]',
    '[10/Oct/2x00:13:55:36 -0700]',
    '[31/Feb/2000:13:55:36 -0700]',
    '[10/Oct/2000:13:55:36 -07000',
  ])('no date in %j', (line) => {
    expect(at(line)).toBeUndefined();
  });

  test('an Apache access date after brackets that are not dates, and not its first match when that one is invalid', () => {
    const line = '[client 1.2.3.4] [31/Feb/2000:13:55:36 -0700] [10/Oct/2000:13:55:36 +0000] x';
    const start = line.indexOf('[10/Oct');
    expect(at(line)).toEqual({ iso: '2000-10-10T13:55:36.000Z', start, end: start + 28, rfc3164: false });
  });

  test('the cache tells apart dates that differ in their first character only', () => {
    const d = new DateDetector();
    expect(d.detect('1108338850 x')?.time).toBe(1_108_338_850_000);
    expect(d.detect('2108338850 x')?.time).toBe(2_108_338_850_000);
    expect(d.detect('2108338851 x')?.time).toBe(2_108_338_851_000);
    expect(d.detect('1108338851 x')?.time).toBe(1_108_338_851_000);
    expect(d.detect('2005-02-25T13:34:10Z x')?.time).toBe(Date.UTC(2005, 1, 25, 13, 34, 10));
    expect(d.detect('2005-02-25T13:34:1')).toBeUndefined();
    expect(d.detect('2005-02-25T13:34:11Z')?.time).toBe(Date.UTC(2005, 1, 25, 13, 34, 11));
  });

  test('only RFC 3164 dates are flagged as such, from the cache too', () => {
    const d = new DateDetector({ now: () => Date.UTC(2005, 5, 1) });
    const kinds = ['Feb 25 13:34:10 h x: y', 'Feb 25 13:34:10 h x: y', '2005-02-25T13:34:10Z x', 'Feb 25 13:34:11 h x: y', '2005-02-25T13:34:10Z x', '2005-02-25T13:34:12Z x', '[10/Oct/2000:13:55:36 -0700]'].map(
      (l) => d.detect(l)?.rfc3164,
    );
    expect(kinds).toEqual([true, true, false, true, false, false, false]);
  });
});

describe('DateDetector (same minute, other seconds and fractions)', () => {
  const now = () => Date.UTC(2026, 11, 7, 20, 0, 0);
  test('a warmed detector reads each date as a fresh one does: fractions, zones, years and brackets after the seconds', () => {
    const lines = [
      '2026-12-07T19:12:33.123Z a',
      '2026-12-07T19:12:33.124Z b',
      '2026-12-07T19:12:59.999Z c',
      '2026-12-07T19:12:01.5Z d',
      '2026-12-07T19:12:01.123456789Z e',
      '2026-12-07T19:12:01,250Z f',
      '2026-12-07T19:12:01Z g',
      '2026-12-07T19:12:02.001+01:00 h',
      '2026-12-07T19:12:03.002+01:00 i',
      '2026-12-07T19:12:03.002+0130 j',
      '2026-12-07T19:12:04.100 k',
      '2026-12-07T19:12:05.100 l',
      '2026-12-07T19:12:06.1x m',
      '2026-12-07T19:12:60.000Z n',
      '2026-12-07T19:12:07.000Z',
      '2026-12-07T19:12:08.000Z:',
      '[Mon Dec 07 19:12:08.734098 2026] [auth_basic:error] o',
      '[Mon Dec 07 19:12:09.000001 2026] [auth_basic:error] p',
      '[Mon Dec 07 19:12:09.000001 2025] [auth_basic:error] q',
      'Dec  7 19:12:10 host sshd[1]: r',
      'Dec  7 19:12:11.250 host sshd[1]: s',
      'Dec  7 19:12:12.250 host sshd[1]: t',
      '2026-12-07 19:12:13: (mod_auth.c.828) u',
      '2026-12-07 19:12:14: (mod_auth.c.828) v',
    ];
    const warm = new DateDetector({ now });
    for (const line of lines) {
      const fresh = new DateDetector({ now }).detect(line);
      const got = warm.detect(line);
      expect(got && { ...got }, line).toEqual(fresh && { ...fresh });
    }
  });
});
