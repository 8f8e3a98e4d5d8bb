import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnbanSchedule } from '../src/jail/unban-schedule.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
/** setTimeout's longest delay: a later expiry needs its timer re-armed. */
const MAX_TIMER = 2 ** 31 - 1;

afterEach(() => {
  vi.useRealTimers();
});

describe('UnbanSchedule', () => {
  it('fires each entry once, at its time and not before, in time order, and skips infinite ones', () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fired: string[] = [];
    const s = new UnbanSchedule((key) => fired.push(key));
    s.add('c', T0 + 60);
    // Earlier than what the timer is armed for: it is re-armed.
    s.add('a', T0 + 20);
    s.add('b', T0 + 40);
    s.add('forever', Number.POSITIVE_INFINITY);
    expect(s.size).toBe(3);
    vi.advanceTimersByTime(19);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(['a']);
    vi.advanceTimersByTime(40);
    expect(fired).toEqual(['a', 'b', 'c']);
    s.runDue();
    vi.advanceTimersByTime(3_600_000);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
    s.clear();
  });

  it('fires an entry beyond the longest timer once, at its time', () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // Node fires a timer asked for more than its limit at once (with a warning): never ask for more.
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const fired: [string, number][] = [];
    const s = new UnbanSchedule((key, at) => fired.push([key, at]));
    const far = T0 + MAX_TIMER + 5000;
    s.add('far', far);
    s.add('near', T0 + 1000);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([['near', T0 + 1000]]);
    vi.advanceTimersByTime(MAX_TIMER);
    expect(fired).toEqual([['near', T0 + 1000]]);
    vi.advanceTimersByTime(far - Date.now() - 1);
    expect(fired).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([['near', T0 + 1000], ['far', far]]);
    expect(vi.getTimerCount()).toBe(0);
    const delays = timers.mock.calls.map((call) => call[1]);
    expect(delays).toContain(MAX_TIMER);
    expect(delays.every((d) => d !== undefined && d <= MAX_TIMER)).toBe(true);
  });

  it('fires at once what is already due when added', () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fired: string[] = [];
    const s = new UnbanSchedule((key) => fired.push(key));
    s.add('past', T0 - 60_000);
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(['past']);
  });

  it('clear drops every entry and its timer; the schedule works again afterwards', () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const fired: string[] = [];
    const s = new UnbanSchedule((key) => fired.push(key));
    for (let i = 0; i < 100; i++) s.add(`k${i}`, T0 + 10 + i);
    s.clear();
    expect(s.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([]);
    s.add('again', Date.now() + 5);
    s.add('sooner', Date.now() + 2);
    vi.advanceTimersByTime(5);
    expect(fired).toEqual(['sooner', 'again']);
  });

  it('hands over the time so a replaced ban is not lifted by its old entry', () => {
    let clock = 0;
    const seen: number[] = [];
    const s = new UnbanSchedule((_k, at) => seen.push(at), () => clock);
    s.add('ip', 10);
    s.add('ip', 20);
    clock = 15;
    s.runDue();
    expect(seen).toEqual([10]);
    clock = 25;
    s.runDue();
    expect(seen).toEqual([10, 20]);
    s.clear();
  });

  it('keeps heap order through many entries, grows and shrinks', () => {
    let clock = 0;
    const fired: number[] = [];
    const s = new UnbanSchedule((_k, at) => fired.push(at), () => clock);
    const times = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5003);
    for (const t of times) s.add(`k${t}`, t);
    expect(s.size).toBe(5000);
    clock = 2500;
    s.runDue();
    clock = 10_000;
    s.runDue();
    expect(fired).toEqual([...times].sort((a, b) => a - b));
    expect(s.size).toBe(0);
    s.clear();
  });

  it('gives the memory of a flood back as it expires', () => {
    let clock = 0;
    const s = new UnbanSchedule(() => undefined, () => clock);
    expect(s.capacity).toBe(64);
    for (let t = 0; t < 5000; t++) s.add(`k${t}`, t);
    expect(s.capacity).toBe(8192);
    // Down to a quarter of the room: kept, one below it: halved (twice the entries left).
    clock = 5000 - 2048 - 1;
    s.runDue();
    expect(s.size).toBe(2048);
    expect(s.capacity).toBe(8192);
    clock++;
    s.runDue();
    expect(s.size).toBe(2047);
    expect(s.capacity).toBe(4094);
    clock = 5000;
    s.runDue();
    expect(s.size).toBe(0);
    expect(s.capacity).toBe(64);
    s.clear();
  });

  it('fires every entry once, in time order, whatever the order and repeats of adds and runs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ add: fc.integer({ min: 0, max: 200 }) }), fc.record({ run: fc.integer({ min: 0, max: 200 }) })), { maxLength: 300 }),
        (steps) => {
          let clock = 0;
          const fired: number[] = [];
          const s = new UnbanSchedule((_k, at) => fired.push(at), () => clock);
          const pending: number[] = [];
          const expected: number[] = [];
          for (const step of steps) {
            if ('add' in step) {
              s.add(`k${step.add}`, clock + step.add);
              pending.push(clock + step.add);
            } else {
              clock += step.run;
              s.runDue();
              const due = pending.filter((t) => t <= clock).sort((a, b) => a - b);
              expected.push(...due);
              pending.splice(0, pending.length, ...pending.filter((t) => t > clock));
            }
            expect(s.size).toBe(pending.length);
          }
          expect(fired).toEqual(expected);
          s.clear();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives back IPv4 keys (held as numbers) and other keys as they were added, in time order', () => {
    let clock = 0;
    const fired: [string, number][] = [];
    const s = new UnbanSchedule((key, at) => fired.push([key, at]), () => clock);
    const key = (i: number) => (i % 7 === 3 ? `2001:db8::${i.toString(16)}` : i % 7 === 5 ? `10.${i & 255}.0.0/16` : `192.0.${i >> 8}.${i & 255}`);
    // IPv4 only at first (no string kept), then every kind; through growth.
    const times = Array.from({ length: 3000 }, (_, i) => ((i * 7919) % 3001) + 1);
    for (let i = 0; i < 3000; i++) s.add(i < 500 ? `192.0.${i >> 8}.${i & 255}` : key(i), times[i]!);
    clock = 10_000;
    s.runDue();
    const expected = times.map((t, i) => [i < 500 ? `192.0.${i >> 8}.${i & 255}` : key(i), t] as [string, number]).sort((a, b) => a[1] - b[1]);
    expect(fired).toEqual(expected);
    expect(s.size).toBe(0);
    s.clear();
  });
});
