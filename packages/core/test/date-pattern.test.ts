import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DateDetector } from '../src/parsing/date-detector.js';
import { checkDatePattern, DatePattern } from '../src/parsing/date-pattern.js';
import { LineParser } from '../src/parsing/line-parser.js';

/** Local times are Europe/Paris (UTC+1 in winter) in this file, so "local" is visible in the results. */
let tz: string | undefined;
beforeAll(() => {
  tz = process.env.TZ;
  process.env.TZ = 'Europe/Paris';
});
afterAll(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());

describe('DatePattern (fail2ban datepattern syntax)', () => {
  test.each([
    ['%Y-%m-%d %H:%M:%S', 'x 2026-12-07 09:20:00 y', '2026-12-07T08:20:00.000Z', '2026-12-07 09:20:00'],
    ['{^LN-BEG}%Y-%m-%d %H:%M:%S', '2026-12-07 09:20:00 msg', '2026-12-07T08:20:00.000Z', '2026-12-07 09:20:00'],
    ['{^LN-BEG}%Y/%m/%d %H:%M:%S', '[2026/12/07 09:20:00] msg', '2026-12-07T08:20:00.000Z', '[2026/12/07 09:20:00]'],
    ['%d/%b/%Y:%H:%M:%S %z', '1.2.3.4 - - [07/Dec/2026:09:20:00 -0700] "GET"', '2026-12-07T16:20:00.000Z', '[07/Dec/2026:09:20:00 -0700]'],
    ['^%b %d %H:%M:%S', 'Dec  7 09:20:00 host sshd[1]: x', undefined, undefined],
    ['^%b %e %H:%M:%S', 'Dec  7 09:20:00 host sshd[1]: x', '2026-12-07T08:20:00.000Z', 'Dec  7 09:20:00'],
    ['^%b %e %H:%M:%S', 'Dec 24 09:20:00 host x', '2025-12-24T08:20:00.000Z', 'Dec 24 09:20:00'],
    ['%Y-%m-%dT%H:%M:%S.%f%z', 'at 2026-12-07T09:20:00.123456+02:00', '2026-12-07T07:20:00.123Z', '2026-12-07T09:20:00.123456+02:00'],
    ['%d.%m.%y %I:%M %p', 'on 07.12.26 09:20 PM ok', '2026-12-07T20:20:00.000Z', '07.12.26 09:20 PM'],
    ['%T', '09:20:00 only a clock', '2026-12-07T08:20:00.000Z', '09:20:00'],
    ['%T', '23:20:00 later than now: yesterday', '2026-12-06T22:20:00.000Z', '23:20:00'],
    ['%Y-%m-%d %H:%M:%S %Z', '2026-12-07 09:20:00 UTC x', '2026-12-07T09:20:00.000Z', '2026-12-07 09:20:00 UTC'],
    ['\\[%s\\]', 'audit [1796635200] x', '2026-12-07T09:20:00.000Z', '[1796635200]'],
    ['EPOCH', '1796635200.5 x', '2026-12-07T09:20:00.500Z', '1796635200.5'],
    ['{^LN-BEG}EPOCH', '[1796635200] x', '2026-12-07T09:20:00.000Z', '[1796635200]'],
    ['TAI64N', '@400000006b167a4a00000000 x', '2026-12-07T09:20:00.000Z', '@400000006b167a4a00000000'],
  ])('%s on %j', (pattern, line, want, span) => {
    const r = new DatePattern(pattern, { now: () => NOW }).detect(line);
    expect(iso(r?.time)).toBe(want);
    if (span !== undefined) expect(line.slice(r!.start, r!.end)).toBe(span);
  });

  test('{^LN-BEG} anchors at the line start; without it the date is found anywhere', () => {
    const line = 'client 192.0.2.1 said 2026-12-07 09:20:00';
    expect(new DatePattern('{^LN-BEG}%Y-%m-%d %H:%M:%S').detect(line)).toBeUndefined();
    expect(new DatePattern('%Y-%m-%d %H:%M:%S').detect(line)?.start).toBe(22);
  });

  test('{NONE}: every line is at its arrival time, and keeps all of its text', () => {
    let now = NOW;
    const p = new DatePattern('{NONE}', { now: () => now });
    expect(p.detect('no date at all')).toMatchObject({ time: NOW, start: 0, end: 0 });
    now += 5000;
    expect(p.detect('2020-01-01 00:00:00 looks old')?.time).toBe(NOW + 5000);
    const parser = new LineParser({ now: () => now, dates: p });
    expect(parser.parse('auth failure from 192.0.2.9')).toMatchObject({ time: NOW + 5000, message: 'auth failure from 192.0.2.9' });
  });

  test('a jail pattern takes the date off before the syslog header is read', () => {
    const parser = new LineParser({ now: () => NOW, dates: new DatePattern('{^LN-BEG}%d.%m.%Y %H:%M:%S') });
    expect(parser.parse('07.12.2026 09:20:00 host sshd[4]: Failed password')).toMatchObject({
      time: Date.UTC(2026, 11, 7, 8, 20),
      program: 'sshd',
      pid: '4',
      message: 'Failed password',
    });
  });

  test('impossible dates are no dates', () => {
    const p = new DatePattern('%Y-%m-%d %H:%M:%S', { now: () => NOW });
    expect(p.detect('2026-02-30 09:20:00')).toBeUndefined();
    expect(p.detect('2026-12-07 25:20:00')).toBeUndefined();
    expect(new DatePattern('%b %d %Y').detect('Foo 07 2026')).toBeUndefined();
  });

  test.each([
    ['%Y-%m-%d %H:%M:%Q', /unknown date code %Q/],
    ['%Y-%m-%d %', /lone "%"/],
    ['just text', /has no date or time code/],
    ['(%Y)', /"\(" is regex syntax/],
    ['%Y-%m-%d .*', /"\*" is regex syntax/],
    ['{^LN-BEG}{NONE}', /"\{" is regex syntax/],
  ])('refuses %j', (pattern, problem) => {
    expect(checkDatePattern(pattern)).toMatch(problem);
  });

  test('accepts fail2ban spellings', () => {
    for (const p of ['{NONE}', 'EPOCH', 'epoch', 'TAI64N', '{^LN-BEG}TAI64N', '^%ExY-%m-%d %H:%M:%S', '%-d/%-m/%Exy %k:%M', '%%%Y%m%d %H%M%S']) {
      expect(checkDatePattern(p), p).toBeUndefined();
    }
  });

  test('stays linear on a hostile 64 KiB line', () => {
    const p = new DatePattern('%Y-%m-%d %H:%M:%S %z');
    const line = '2026-12-07 09:20:0'.repeat(3700);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) expect(p.detect(line)).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(15_000); // generous: a backtracking pattern takes minutes
  });
});

describe('DateDetector: nginx error log dates by default', () => {
  test.each([
    ['2026/12/07 09:20:00 [error] 123#0: *1 user "x" was not found', '2026-12-07T08:20:00.000Z', 19],
    ['[2026/12/07 09:20:00] x', '2026-12-07T08:20:00.000Z', 21],
  ])('%s', (line, want, end) => {
    const r = new DateDetector({ now: () => NOW }).detect(line);
    expect(iso(r?.time)).toBe(want);
    expect(r?.end).toBe(end);
  });

  test('an nginx line gives its message to the filters', () => {
    const line = new LineParser({ now: () => NOW }).parse('2026/12/07 09:20:00 [error] 123#0: *1 no user/password was provided');
    expect(line.time).toBe(Date.UTC(2026, 11, 7, 8, 20));
    expect(line.message).toBe('[error] 123#0: *1 no user/password was provided');
  });
});
