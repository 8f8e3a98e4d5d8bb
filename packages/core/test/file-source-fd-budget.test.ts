import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpenFileBudget, openFileLimit } from '../src/sources/open-file-budget.js';
import { follow, recordingLogger, sleep, tempDir, waitFor } from './file-source-harness.js';

describe('file source: more files than descriptors', () => {
  it('reads the files that fit, warns once with the count, and takes up a left-out file when room is made', async () => {
    const dir = tempDir('fds');
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}.log`), `old ${i}\n`);
    const budget = new OpenFileBudget(5);
    const logger = recordingLogger();
    const { seen } = await follow([join(dir, '*.log')], { budget, logger, globInterval: 100, drainTime: 100 });
    expect(budget.free).toBe(0);
    for (let i = 0; i < 20; i++) appendFileSync(join(dir, `f${String(i).padStart(2, '0')}.log`), `new ${i}\n`);
    await waitFor(() => seen.length === 5, 30_000, 'the lines of the five files followed');
    await sleep(300); // several glob passes: none may warn again
    const warnings = logger.records.filter((r) => r.level === 'warn');
    expect(warnings.map((r) => r.msg)).toEqual([
      expect.stringMatching(/^15 of the 20 files matching .* are not read: the open-file limit \(\d+\) leaves room for 5 open logs/),
    ]);
    const followed = seen.map((l) => Number(l.slice(4)));
    // A followed file deleted (and drained): a left-out one is read from then on — from its end, as it was there at start.
    rmSync(join(dir, `f${String(followed[0]).padStart(2, '0')}.log`));
    // Lines appended to the left-out files until one shows up: only a file taken up is read, from its end.
    const before = seen.length;
    for (let round = 0; seen.length === before && round < 200; round++) {
      for (let i = 0; i < 20; i++) if (!followed.includes(i)) appendFileSync(join(dir, `f${String(i).padStart(2, '0')}.log`), `late ${i}\n`);
      await sleep(50);
    }
    await sleep(200);
    const taken = new Set(seen.slice(before).map((l) => l.split(' ')[1]));
    expect(seen.slice(before).length).toBeGreaterThan(0);
    expect(taken.size).toBe(1); // one descriptor freed, one file taken up
    expect(budget.free).toBe(0);
    expect(seen.filter((l) => l.startsWith('old'))).toEqual([]);
  }, 20_000);

  it('a rotation with no descriptor to spare finishes the old file before opening the new one', async () => {
    const dir = tempDir('fds-rot');
    const log = join(dir, 'a.log');
    writeFileSync(log, '');
    const budget = new OpenFileBudget(1);
    const { seen } = await follow([log], { budget });
    appendFileSync(log, 'one\n');
    await waitFor(() => seen.length === 1);
    renameSync(log, `${log}.1`);
    appendFileSync(`${log}.1`, 'two\n');
    writeFileSync(log, 'three\n');
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['one', 'two', 'three']);
    expect(budget.free).toBe(0);
  });

  it('reads the soft open-file limit of the process', () => {
    expect(openFileLimit()).toBeGreaterThan(0);
  });
});
