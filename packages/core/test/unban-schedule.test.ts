import { describe, expect, it } from 'vitest';
import { UnbanSchedule } from '../src/jail/unban-schedule.js';

describe('UnbanSchedule', () => {
  it('fires each entry once, in time order, and skips infinite ones', async () => {
    const fired: string[] = [];
    const s = new UnbanSchedule((key) => fired.push(key));
    const now = Date.now();
    s.add('c', now + 60);
    s.add('a', now + 20);
    s.add('b', now + 40);
    s.add('forever', Number.POSITIVE_INFINITY);
    await new Promise((r) => setTimeout(r, 150));
    expect(fired).toEqual(['a', 'b', 'c']);
    s.runDue();
    expect(fired).toEqual(['a', 'b', 'c']);
    s.clear();
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
});
