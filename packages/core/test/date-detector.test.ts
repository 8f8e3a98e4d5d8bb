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
