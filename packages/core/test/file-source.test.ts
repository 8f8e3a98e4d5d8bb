import { appendFileSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { follow, sleep, tempDir, waitFor } from './file-source-harness.js';

describe('file source: following files', () => {
  // Latency is measured in bench/tail.mjs; here the poll never runs, so a line seen at all came by the watch.
  it('starts at the end of an existing file and delivers appends through the file watch', async () => {
    const dir = tempDir('append');
    const log = join(dir, 'a.log');
    writeFileSync(log, 'old line\n');
    const { seen, origins } = await follow([log], { pollInterval: 3_600_000 }); // no poll: watch events only
    for (let i = 1; i <= 5; i++) {
      appendFileSync(log, `new ${i}\n`);
      await waitFor(() => seen.length === i, 20_000, `line ${i}`);
    }
    appendFileSync(log, 'partial');
    await sleep(30);
    expect(seen).toHaveLength(5); // a line without its newline waits
    appendFileSync(log, ' end\n');
    await waitFor(() => seen.length === 6);
    expect(seen).toEqual(['new 1', 'new 2', 'new 3', 'new 4', 'new 5', 'partial end']);
    expect(new Set(origins)).toEqual(new Set([log]));
  });

  it('reads existing files from the start with fromStart', async () => {
    const dir = tempDir('fromstart');
    const log = join(dir, 'a.log');
    writeFileSync(log, 'one\ntwo\n');
    const { seen } = await follow([log], { fromStart: true });
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['one', 'two']);
  });

  it('starts over after copytruncate, and after a rewrite in place that outgrew the offset', async () => {
    const dir = tempDir('trunc');
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { seen } = await follow([log]);
    appendFileSync(log, 'a\nb\nc\n');
    await waitFor(() => seen.length === 3);
    truncateSync(log, 0);
    appendFileSync(log, 'd\n');
    await waitFor(() => seen.length === 4);
    // Truncated and refilled past our offset before we looked: caught by the first-line check of the poll.
    writeFileSync(log, 'rewritten first line\nsecond line of the new content\n');
    await waitFor(() => seen.length >= 6);
    // A last line read after those: a re-read of the new content would have come before it.
    appendFileSync(log, 'sentinel\n');
    await waitFor(() => seen.includes('sentinel'), 30_000, 'the sentinel line');
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'rewritten first line', 'second line of the new content', 'sentinel']);
  });

  it('waits for a deleted file to be created again, and reads the new one from its start', async () => {
    const dir = tempDir('del');
    const log = join(dir, 'y.log');
    writeFileSync(log, '');
    const { seen } = await follow([log]);
    appendFileSync(log, 'one\n');
    await waitFor(() => seen.length === 1);
    rmSync(log);
    await sleep(80);
    writeFileSync(log, 'two\nthree\n');
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('picks up new files matching a glob at once, including in a folder created later', async () => {
    const dir = tempDir('glob');
    writeFileSync(join(dir, 'a.log'), 'present before start\n');
    // The glob timer never runs within the test: a new file seen at all came through the folder watch.
    const { seen, origins } = await follow([join(dir, '*.log'), join(dir, 'sub', '*', 'error.log')], {
      globInterval: 3_600_000,
    });
    writeFileSync(join(dir, 'b.log'), 'from a new file\n');
    writeFileSync(join(dir, 'c.txt'), 'not matched\n');
    await waitFor(() => seen.length === 1, 20_000);
    appendFileSync(join(dir, 'a.log'), 'appended to the old file\n');
    await waitFor(() => seen.length === 2);
    mkdirSync(join(dir, 'sub', 'site1'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'site1', 'error.log'), 'deeper\n');
    await waitFor(() => seen.length === 3, 20_000);
    expect(seen).toEqual(['from a new file', 'appended to the old file', 'deeper']);
    expect(origins).toEqual([join(dir, 'b.log'), join(dir, 'a.log'), join(dir, 'sub', 'site1', 'error.log')]);
  });

  it('gathers a burst into few batches with batchDelay', async () => {
    const dir = tempDir('batch');
    const log = join(dir, 'b.log');
    writeFileSync(log, '');
    const { seen, origins } = await follow([log], { batchDelay: 40, pollInterval: 10_000 });
    for (let i = 0; i < 50; i++) appendFileSync(log, `l${i}\n`);
    await waitFor(() => seen.length === 50);
    expect(origins.length).toBeLessThanOrEqual(2);
  });

  it('stop() closes everything: no delivery afterwards and the process can exit', async () => {
    const dir = tempDir('stop');
    const log = join(dir, 's.log');
    writeFileSync(log, '');
    const { seen, source } = await follow([log]);
    appendFileSync(log, 'before stop\n');
    await waitFor(() => seen.length === 1);
    await source.stop();
    const handles = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
    appendFileSync(log, 'after stop\n');
    await sleep(100);
    expect(seen).toEqual(['before stop']);
    expect(handles.filter((h) => h === 'FSEventWrap' || h === 'FileHandle')).toEqual([]);
  });
});
