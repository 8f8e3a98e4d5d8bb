import { appendFileSync, copyFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { follow, MapPositions, recordingLogger, sleep, tempDir, waitFor } from './file-source-harness.js';

/**
 * The rotation matrix: every way a log is rotated, each scripted step by step and waiting on what the source
 * delivered (not on sleeps), with a position store as the daemon has one. Each pattern must deliver every
 * line written exactly once. Lines are `g<group> <n>` so a double read names the group it came from.
 */

interface Step {
  /** Lines appended to `file` (relative to the folder). */
  readonly write?: { file: string; count: number };
  /** A file operation, by name. */
  readonly op?: () => void;
  /** Stop the source, run this (it returns the lines it wrote), start again with the same positions. */
  readonly whileStopped?: () => number;
}

let group = 0;
function lines(count: number): string {
  group++;
  let text = '';
  for (let i = 1; i <= count; i++) text += `g${group} ${i}\n`;
  return text;
}

async function runPattern(steps: (dir: string, log: string) => Step[], initial = '') {
  const dir = tempDir('matrix');
  const log = join(dir, 'auth.log');
  writeFileSync(log, initial);
  const positions = new MapPositions();
  const seen: string[] = [];
  let written = 0;
  let current = await follow([log], { positions, fromStart: true, pollInterval: 50 });
  let base = 0; // lines seen by earlier sessions
  const total = () => base + current.seen.length;
  for (const step of steps(dir, log)) {
    if (step.op) step.op();
    if (step.whileStopped) {
      await current.source.stop();
      seen.push(...current.seen);
      base = seen.length;
      written += step.whileStopped();
      current = await follow([log], { positions, pollInterval: 50 });
      await waitFor(() => total() >= written, 30_000, `${written} lines (have ${total()})`);
    }
    if (step.write) {
      appendFileSync(join(dir, step.write.file), lines(step.write.count));
      written += step.write.count;
      await waitFor(() => total() >= written, 30_000, `${written} lines (have ${total()})`);
    }
  }
  // A double read, if any, comes with the next polls (50 ms apart): give it several.
  await sleep(300);
  seen.push(...current.seen);
  return { written, read: seen.length, distinct: new Set(seen).size };
}

/** pattern → the steps that make it. `auth.log` is the followed path. */
const patterns: Record<string, (dir: string, log: string) => Step[]> = {
  'rename, new file created at once': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => { renameSync(log, `${log}.1`); writeFileSync(log, ''); }, write: { file: 'auth.log.1', count: 300 } },
    { write: { file: 'auth.log', count: 700 } },
  ],
  // The reproduction: the writer keeps appending to the renamed file, the new one appears later.
  'rename, new file created later (the writer still appends to the old one)': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => renameSync(log, `${log}.2`), write: { file: 'auth.log.2', count: 300 } },
    { op: () => writeFileSync(log, '') },
    { write: { file: 'auth.log', count: 700 } },
    { write: { file: 'auth.log.2', count: 200 } },
  ],
  copytruncate: (dir, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => { copyFileSync(log, join(dir, 'auth.log.1')); truncateSync(log, 0); }, write: { file: 'auth.log', count: 700 } },
  ],
  'delete and recreate': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => rmSync(log) },
    { op: () => writeFileSync(log, ''), write: { file: 'auth.log', count: 700 } },
  ],
  'truncate to zero': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => truncateSync(log, 0), write: { file: 'auth.log', count: 700 } },
  ],
  'rotation while stopped (late lines, rename, new file)': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    {
      whileStopped: () => {
        appendFileSync(log, lines(300));
        renameSync(log, `${log}.1`);
        writeFileSync(log, lines(700));
        return 1000;
      },
    },
    { write: { file: 'auth.log', count: 200 } },
  ],
  'stopped between the rename and the new file': (_d, log) => [
    { write: { file: 'auth.log', count: 500 } },
    { op: () => renameSync(log, `${log}.2`), write: { file: 'auth.log.2', count: 300 } },
    {
      whileStopped: () => {
        appendFileSync(`${log}.2`, lines(100));
        writeFileSync(log, lines(200));
        return 300;
      },
    },
  ],
};

describe('file source: rotation matrix (every line exactly once)', () => {
  it.each(Object.entries(patterns))('%s', async (_name, steps) => {
    const result = await runPattern(steps);
    expect(result).toEqual({ written: result.written, read: result.written, distinct: result.written });
  }, 30_000);
});

describe('file source: a writer that reopens late', () => {
  it('reads a rotated-away file for as long as it keeps growing, and lets it go drainTime after its last line', async () => {
    const dir = tempDir('drain');
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const logger = recordingLogger();
    const { seen, source } = await follow([log], { drainTime: 300, pollInterval: 50, logger });
    renameSync(log, `${log}.1`);
    const renamed = Date.now();
    // Late lines 150 ms apart for three times the drain time: each one pushes the drain window back.
    let lastWrite = 0;
    for (let i = 1; i <= 6; i++) {
      lastWrite = Date.now();
      appendFileSync(`${log}.1`, `late ${i}\n`);
      await waitFor(() => seen.length === i, 30_000, `late line ${i}`);
      if (i < 6) await sleep(150);
    }
    const drained = () => logger.records.some((r) => r.msg.startsWith('stopped reading the file rotated away'));
    await waitFor(drained, 30_000, 'the drained file to be let go');
    expect(Date.now() - lastWrite).toBeGreaterThanOrEqual(300);
    expect(Date.now() - renamed).toBeGreaterThanOrEqual(5 * 150 + 300);
    appendFileSync(`${log}.1`, 'after the drain\n');
    writeFileSync(log, 'new file\n');
    await waitFor(() => seen.length === 7, 30_000, 'the new file');
    await sleep(200);
    expect(seen).toEqual(['late 1', 'late 2', 'late 3', 'late 4', 'late 5', 'late 6', 'new file']);
    await source.stop();
  }, 20_000);
});
