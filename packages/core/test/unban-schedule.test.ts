import { describe, expect, it } from 'vitest';
import { UnbanSchedule } from '../src/unban-schedule.js';

describe('UnbanSchedule', () => {
  it('fires each entry once, in time order, and skips infinite ones', async () => {
    const fired: string[] = [];
    const s = new UnbanSchedule((key) => fired.push(key));
    const now = Date.now();
    const tok = {};
    s.add('c', now + 60, tok);
    s.add('a', now + 20, tok);
    s.add('b', now + 40, tok);
    s.add('forever', Number.POSITIVE_INFINITY, tok);
    await new Promise((r) => setTimeout(r, 150));
    expect(fired).toEqual(['a', 'b', 'c']);
    s.runDue();
    expect(fired).toEqual(['a', 'b', 'c']);
    s.clear();
  });

  it('hands over the token so a replaced ban is not lifted by its old entry', () => {
    let clock = 0;
    const seen: object[] = [];
    const s = new UnbanSchedule((_k, token) => seen.push(token), () => clock);
    const first = {};
    const second = {};
    s.add('ip', 10, first);
    s.add('ip', 20, second);
    clock = 15;
    s.runDue();
    expect(seen).toEqual([first]);
    clock = 25;
    s.runDue();
    expect(seen).toEqual([first, second]);
    s.clear();
  });
});
