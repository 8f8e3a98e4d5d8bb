import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { byNumber, follow, MapPositions, numbered, sleep, tempDir, waitFor } from './file-source-harness.js';

const writer = join(import.meta.dirname, 'fixtures/rotating-writer.mjs');

/** Start a source, wait for `count` lines, stop it; returns what it saw. */
async function session(log: string, positions: MapPositions, count: number): Promise<string[]> {
  const { seen, source } = await follow([log], { positions });
  await waitFor(() => seen.length >= count, 30_000, `${count} lines`);
  await source.stop();
  return seen;
}

describe('file source: restart from stored positions', () => {
  it('reads nothing twice and skips nothing when stopped and restarted while a writer writes', async () => {
    const log = join(tempDir('pos-live'), 'app.log');
    writeFileSync(log, '');
    const positions = new MapPositions();
    const N = 40_000;
    const writing = promisify(execFile)(process.execPath, [writer, log, String(N), String(N), 'rename', '7']);
    const first = await follow([log], { positions });
    await waitFor(() => first.seen.length >= 2000, 30_000, 'first lines');
    await first.source.stop();
    const firstSeen = [...first.seen];
    await sleep(30);
    const second = await follow([log], { positions });
    await writing;
    await waitFor(() => firstSeen.length + second.seen.length >= N, 30_000, 'all lines');
    await sleep(100);
    expect(firstSeen.length).toBeLessThan(N); // the restart happened mid-stream
    expect(byNumber([...firstSeen, ...second.seen])).toEqual(numbered(N));
    expect(positions.map.get(log)).toMatchObject({ offset: numbered(N).join('\n').length + 1 });
  }, 30_000);

  it('finishes a partial line written across the restart', async () => {
    const log = join(tempDir('pos-partial'), 'p.log');
    writeFileSync(log, '');
    const positions = new MapPositions();
    const first = await follow([log], { positions });
    appendFileSync(log, 'a\nb-start');
    await waitFor(() => first.seen.length === 1);
    await sleep(30);
    await first.source.stop();
    appendFileSync(log, '-end\n');
    expect(await session(log, positions, 1)).toEqual(['b-start-end']);
  });

  it('reads the rest of a file rotated while stopped, then the new file from its start', async () => {
    const dir = tempDir('pos-rot');
    const log = join(dir, 'auth.log');
    writeFileSync(log, 'line 1\n');
    const positions = new MapPositions();
    const first = await follow([log], { positions });
    appendFileSync(log, 'line 2\nline 3\n');
    await waitFor(() => first.seen.length === 2);
    await first.source.stop();
    appendFileSync(log, 'line 4\nline 5\n');
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'line 6\nline 7\n');
    const second = await session(log, positions, 4);
    await sleep(50);
    expect(second).toEqual(['line 4', 'line 5', 'line 6', 'line 7']);
  });

  it('keeps its place in a file replaced by a copy of itself, and reads a different file from its start', async () => {
    const dir = tempDir('pos-copy');
    const log = join(dir, 'c.log');
    writeFileSync(log, 'Jan 1 first line\n');
    const positions = new MapPositions();
    const first = await follow([log], { positions });
    appendFileSync(log, 'second\n');
    await waitFor(() => first.seen.length === 1);
    await first.source.stop();
    copyFileSync(log, join(dir, 'copy'));
    appendFileSync(join(dir, 'copy'), 'third\n');
    renameSync(join(dir, 'copy'), log); // a new inode with the same first line: our file, moved
    expect(await session(log, positions, 1)).toEqual(['third']);

    writeFileSync(join(dir, 'other'), 'Jan 2 another log\nits second line\n');
    renameSync(join(dir, 'other'), log); // a new inode and another first line: a new log
    expect(await session(log, positions, 2)).toEqual(['Jan 2 another log', 'its second line']);
  });
});
