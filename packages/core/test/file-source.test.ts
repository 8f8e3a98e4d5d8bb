import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSource } from '../src/file-source.js';
import type { LogSource, SourceLine, SourcePosition } from '../src/log-source.js';
import { silentLogger } from '../src/logger.js';

const sources: LogSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

class Positions {
  readonly map = new Map<string, SourcePosition>();
  getPosition(k: string) {
    return this.map.get(k);
  }
  setPosition(k: string, p: SourcePosition) {
    this.map.set(k, p);
  }
}

async function follow(paths: string[], options: { positions?: Positions; fromStart?: boolean } = {}) {
  const seen: string[] = [];
  const origins = new Set<string>();
  const source = createFileSource({ paths, logger: silentLogger, pollInterval: 50, globInterval: 100, ...options });
  sources.push(source);
  await source.start((lines: readonly SourceLine[], origin: string) => {
    for (const l of lines) seen.push(l.text);
    origins.add(origin);
  });
  return { seen, origins, source };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('file source', () => {
  it('starts at the end of an existing file and delivers appends quickly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-'));
    const log = join(dir, 'a.log');
    writeFileSync(log, 'old line\n');
    const { seen } = await follow([log]);
    const t0 = Date.now();
    appendFileSync(log, 'new 1\nnew 2\npartial');
    await waitFor(() => seen.length === 2);
    expect(Date.now() - t0).toBeLessThan(1000);
    appendFileSync(log, ' end\n');
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['new 1', 'new 2', 'partial end']);
  });

  it('follows rename rotation while a writer writes: every line exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-rot-'));
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const { seen } = await follow([log]);
    let n = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 200; i++) appendFileSync(log, `line ${++n}\n`);
      renameSync(log, join(dir, `auth.log.${round}`));
      for (let i = 0; i < 50; i++) appendFileSync(join(dir, `auth.log.${round}`), `line ${++n}\n`); // late writes to the old file
      writeFileSync(log, '');
      await new Promise((r) => setTimeout(r, 120));
    }
    for (let i = 0; i < 100; i++) appendFileSync(log, `line ${++n}\n`);
    await waitFor(() => seen.length >= n, 8000);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => `line ${i + 1}`));
  });

  it('starts over after copytruncate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-trunc-'));
    const log = join(dir, 'x.log');
    writeFileSync(log, '');
    const { seen } = await follow([log]);
    appendFileSync(log, 'a\nb\nc\n');
    await waitFor(() => seen.length === 3);
    truncateSync(log, 0);
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(log, 'd\n');
    await waitFor(() => seen.length === 4);
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
  });

  it('waits for a deleted file to be created again, and reads the new one from its start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-del-'));
    const log = join(dir, 'y.log');
    writeFileSync(log, '');
    const { seen } = await follow([log]);
    appendFileSync(log, 'one\n');
    await waitFor(() => seen.length === 1);
    rmSync(log);
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(log, 'two\nthree\n');
    await waitFor(() => seen.length === 3);
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('picks up new files matching a glob', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-glob-'));
    writeFileSync(join(dir, 'a.log'), 'present before start\n');
    const { seen, origins } = await follow([join(dir, '*.log')]);
    writeFileSync(join(dir, 'b.log'), 'from a new file\n');
    writeFileSync(join(dir, 'c.txt'), 'not matched\n');
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['from a new file']);
    expect([...origins]).toEqual([join(dir, 'b.log')]);
  });

  it('resumes from the stored position: nothing read twice, nothing skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-pos-'));
    const log = join(dir, 'z.log');
    writeFileSync(log, 'before\n');
    const positions = new Positions();
    const first = await follow([log], { positions });
    appendFileSync(log, 'seen once\n');
    await waitFor(() => first.seen.length === 1);
    await first.source.stop();
    appendFileSync(log, 'while stopped\n');
    const second = await follow([log], { positions });
    appendFileSync(log, 'after restart\n');
    await waitFor(() => second.seen.length === 2);
    expect(second.seen).toEqual(['while stopped', 'after restart']);
  });

  it('survives invalid UTF-8, a 1 MB line and a path that is a folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-bad-'));
    const log = join(dir, 'bad.log');
    writeFileSync(log, '');
    const { seen } = await follow([log, dir]);
    appendFileSync(log, Buffer.concat([Buffer.from('caf'), Buffer.from([0xc3]), Buffer.from(' \xff\xfe ok\n', 'latin1')]));
    appendFileSync(log, `${'x'.repeat(1024 * 1024)}\nafter the long line\n`);
    await waitFor(() => seen.length === 3);
    expect(seen[0]).toContain('\uFFFD');
    expect(seen[1]!.length).toBe(16 * 1024);
    expect(seen[2]).toBe('after the long line');
  });
});
