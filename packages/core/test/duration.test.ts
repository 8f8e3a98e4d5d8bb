// Durations as a config writes them (`600`, `10m`, `1h30m`, `-1`) and as status and check-config print them:
// every unit and spelling, the errors a typo gets, the 1 s .. 100 y range every action can hold, and the
// round trip from milliseconds to text and back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, MIN_DURATION_MS, durationProblem, formatDuration, parseDuration } from '../src/util/duration.js';
import { PortcullisError } from '../src/util/errors.js';

const YEAR = 365 * 86_400_000;

describe('parseDuration', () => {
  it.each([
    ['600', 600_000],
    ['1.5', 1500],
    ['0.0015', 2], // rounded to the millisecond
    [' 10M ', 600_000],
    ['500ms', 500],
    ['2sec', 2000],
    ['30s', 30_000],
    ['3min', 180_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['2w', 1_209_600_000],
    ['1y', YEAR],
    ['100y', 100 * YEAR],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1 h  30 m 5s', 5_405_000],
    ['1.5h', 5_400_000],
    ['0.0015s', 2],
    ['1m1ms', 60_001],
    ['-1', -1],
    [' -1 ', -1],
    ['forever', -1],
    ['Permanent', -1],
    ['FOREVER', -1],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes numbers as seconds, -1 as forever', () => {
    expect(parseDuration(600)).toBe(600_000);
    expect(parseDuration(0)).toBe(0);
    expect(parseDuration(0.0015)).toBe(2);
    expect(parseDuration(-1)).toBe(-1);
  });

  it.each(['', '   ', 'ten minutes', '10x', '10m5', 'm', '-5', '1h-', '1,5h', '1e3', '.5s', 'h1', '10mm'])('refuses %j, saying what it takes', (text) => {
    let error: unknown;
    try {
      parseDuration(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PortcullisError);
    expect((error as PortcullisError).code).toBe('DURATION_INVALID');
    expect((error as PortcullisError).message).toBe(`invalid duration "${text}"`);
    expect((error as PortcullisError).hint).toBe('use seconds or a unit: 30s, 10m, 1h, 1d, 1w, or -1 for forever');
  });

  it.each([-2, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses the number %d', (n) => {
    expect(() => parseDuration(n)).toThrow(new PortcullisError('DURATION_INVALID', `invalid duration ${n}`));
    try {
      parseDuration(n);
    } catch (e) {
      expect((e as PortcullisError).code).toBe('DURATION_INVALID');
    }
  });
});

describe('durationProblem: the range every action can hold', () => {
  const ban = { forever: true };
  const other = { forever: false };
  it('says what a duration looks like, with forever only where it is allowed', () => {
    expect(durationProblem('ten', ban)).toBe('expected a duration like 600, 10m, 1h, 1d or -1 for forever, got "ten"');
    expect(durationProblem('ten', other)).toBe('expected a duration like 600, 10m, 1h, 1d, got "ten"');
    expect(durationProblem({ seconds: 5 }, other)).toBe('expected a duration like 600, 10m, 1h, 1d, got {"seconds":5}');
    expect(durationProblem(null, ban)).toBe('expected a duration like 600, 10m, 1h, 1d or -1 for forever, got null');
    expect(durationProblem(true, other)).toBe('expected a duration like 600, 10m, 1h, 1d, got true');
    expect(durationProblem(-5, other)).toBe('expected a duration like 600, 10m, 1h, 1d, got -5');
  });

  it('keeps forever for ban times', () => {
    expect(durationProblem(-1, ban)).toBeUndefined();
    expect(durationProblem('forever', ban)).toBeUndefined();
    expect(durationProblem(-1, other)).toBe('-1 (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d');
    expect(durationProblem('permanent', other)).toBe('"permanent" (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d');
  });

  it('refuses zero and sub-second durations, naming -1 where a ban time meant forever', () => {
    expect(durationProblem(0, ban)).toBe('0 would lift every ban at once: use at least 1s, or -1 for a permanent ban');
    expect(durationProblem('0s', ban)).toBe('"0s" would lift every ban at once: use at least 1s, or -1 for a permanent ban');
    expect(durationProblem(0, other)).toBe('0 is shorter than 1s: use a duration like 600, 10m, 1h, 1d');
    expect(durationProblem('999ms', ban)).toBe('"999ms" is shorter than 1s: use a duration like 600, 10m, 1h, 1d or -1 for forever');
    expect(durationProblem('999ms', other)).toBe('"999ms" is shorter than 1s: use a duration like 600, 10m, 1h, 1d');
    expect(durationProblem('1000ms', other)).toBeUndefined();
    expect(durationProblem(1, other)).toBeUndefined();
  });

  it('refuses more than 100 years', () => {
    expect(durationProblem('100y', other)).toBeUndefined();
    expect(durationProblem('100y1ms', ban)).toBe('"100y1ms" is longer than 100y, the longest duration firewall timeouts are trusted to hold');
    expect(durationProblem(1e308, ban)).toBe('1e+308 is longer than 100y, the longest duration firewall timeouts are trusted to hold');
  });

  it('holds for every duration: accepted exactly from 1s to 100y, and -1 only where forever is allowed', () => {
    const ms = fc.oneof(
      fc.integer({ min: 0, max: 2 * MIN_DURATION_MS }),
      fc.integer({ min: MAX_DURATION_MS - 2000, max: MAX_DURATION_MS + 2000 }),
      fc.integer({ min: 0, max: 2 * MAX_DURATION_MS }),
    );
    fc.assert(
      fc.property(ms, fc.boolean(), (n, forever) => {
        const ok = n >= MIN_DURATION_MS && n <= MAX_DURATION_MS;
        expect(durationProblem(`${n}ms`, { forever }) === undefined).toBe(ok);
        if (n % 1000 === 0) expect(durationProblem(n / 1000, { forever }) === undefined).toBe(ok);
      }),
      { numRuns: 300, endOnFailure: true },
    );
    for (const forever of [true, false]) {
      for (const text of [-1, '-1', 'forever', 'permanent']) expect(durationProblem(text, { forever }) === undefined).toBe(forever);
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [-1, 'forever'],
    [Number.POSITIVE_INFINITY, 'forever'],
    [0, '0ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1499, '1s'],
    [1500, '2s'],
    [59_999, '1m'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [90_061_000, '1d1h1m1s'],
    [8 * 86_400_000, '8d'],
    [MAX_DURATION_MS, '36500d'],
  ])('%d ms is %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes whole seconds in canonical units that parse back to the same duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_MS / 1000 }), (seconds) => {
        const text = formatDuration(seconds * 1000);
        const parts = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
        expect(parts, text).not.toBeNull();
        const [, , h = '0', m = '0', s = '0'] = parts!;
        expect(Number(h)).toBeLessThan(24);
        expect(Number(m)).toBeLessThan(60);
        expect(Number(s)).toBeLessThan(60);
        expect(text).not.toMatch(/(?:^|\D)0[dhms]/);
        expect(parseDuration(text)).toBe(seconds * 1000);
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });
});
