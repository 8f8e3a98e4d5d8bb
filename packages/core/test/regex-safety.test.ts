import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRegexSafety } from '../src/filters/regex-safety.js';

const dir = mkdtempSync(join(tmpdir(), 'pcl-redos-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkRegexSafety', () => {
  it('refuses exponential and polynomial backtracking, passes anchored tag rules, and caches verdicts', async () => {
    const cacheFile = join(dir, 'cache.json');
    const patterns = ['^(a|a)*$', '^Failed (\\s*\\S*)* for <HOST>$', '^Failed password for <F-USER>\\S+</F-USER> from <HOST> port \\d+$'];
    const first = await checkRegexSafety(patterns, { cacheFile });
    expect(first.map((v) => v.status)).toEqual(['vulnerable', 'vulnerable', 'safe']);
    expect(first[0]!.reason).toMatch(/exponential/);
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, { status: string }>;
    expect(Object.values(cached).map((v) => v.status).sort()).toEqual(['safe', 'vulnerable', 'vulnerable']);
    // A verdict in the cache is used as it is: mark the safe one vulnerable and it is refused.
    for (const v of Object.values(cached)) v.status = 'vulnerable';
    writeFileSync(cacheFile, JSON.stringify(cached));
    const again = await checkRegexSafety(patterns, { cacheFile });
    expect(again.map((v) => v.status)).toEqual(['vulnerable', 'vulnerable', 'vulnerable']);
  }, 120_000);
});
