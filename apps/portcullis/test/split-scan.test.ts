import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FilterDefinition } from '@portcullis/core';
import { MAX_LINE_LENGTH, compileFilter } from '@portcullis/core/filtering';
import { afterAll, describe, expect, test } from 'vitest';
import { FilterTally, LogScan, READ, scanRange } from '../src/commands/log-scan.js';
import { type PartRunner, type SplitJob, type SplitResult, mergeParts, scanPart, scanSplit } from '../src/commands/split-scan.js';

const dir = mkdtempSync(join(tmpdir(), 'pcl-split-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: the same log every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Every line the scans of `pieces` byte ranges read, in piece order, with the lines and cuts counted. */
function readPieces(file: string, pieces: number): { raws: string[]; lines: number; truncated: number } {
  const size = statSync(file).size;
  const filter = compileFilter({ id: 'none', failregex: ['^never <HOST>$'] });
  const raws: string[] = [];
  const scan = new LogScan(filter, 'auto', new FilterTally(1, undefined, false), file, { missed: (line) => raws.push(line.raw) }, { allLines: true });
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(READ);
  try {
    const step = Math.ceil(size / pieces);
    for (let from = 0; from < size; from += step) scanRange(fd, from, Math.min(size, from + step), size, scan, buffer);
  } finally {
    closeSync(fd);
  }
  return { raws, lines: scan.tally.lines, truncated: scan.cutter.truncated };
}

describe('scanRange', () => {
  test('byte ranges covering a file give every line once, whatever the cuts', () => {
    const next = random(7);
    const parts: string[] = [];
    for (let i = 0; i < 400; i++) {
      const r = next();
      if (r < 0.05) parts.push('');
      else if (r < 0.1) parts.push(`line ${i} with CRLF\r`);
      else if (r < 0.13) parts.push(`line ${i} ${'é€😀'.repeat(Math.floor(next() * 40))}`);
      else if (r < 0.15) parts.push(`line ${i} ${'x'.repeat(MAX_LINE_LENGTH + Math.floor(next() * 50))}`);
      else parts.push(`Feb 25 13:34:${String(i % 60).padStart(2, '0')} web1 sshd[${i}]: line ${i}`);
    }
    for (const end of ['\n', '']) {
      const file = join(dir, `cuts${end ? '-nl' : ''}.log`);
      writeFileSync(file, parts.join('\n') + end);
      const whole = readPieces(file, 1);
      expect(whole.lines).toBe(end ? parts.length : parts.length);
      for (const pieces of [2, 3, 7, 50, 997, statSync(file).size]) {
        const split = readPieces(file, pieces);
        expect(split.raws, `${pieces} pieces`).toEqual(whole.raws);
        expect(split.lines).toBe(whole.lines);
        expect(split.truncated).toBe(whole.truncated);
      }
    }
  });
});

/**
 * A filter that carries failures from line to line of a process: a PAM line waits (pending) until the
 * process's `Failed` line settles it or its close releases it, and a login that succeeds cancels it.
 */
const correlating: FilterDefinition = {
  id: 'mini-pam',
  programs: ['sshd'],
  correlate: 'pid',
  failregex: [
    { pattern: '^pam fail rhost=<HOST>$', kind: 'pending' },
    { pattern: '^Failed password for <F-USER>\\S+</F-USER> from <HOST> port \\d+$' },
    { pattern: '^Accepted password for \\S+ from <HOST> port \\d+$', kind: 'success' },
    { pattern: '^Connection closed by <HOST> port \\d+$', kind: 'fallback', forget: true },
  ],
};

/** Interleaved sshd processes (pids reused after a long silence, some without a date) among cron lines. */
function correlatingLog(lines: number): string {
  const next = random(11);
  const out: string[] = [];
  const open: { pid: number; host: string; step: number }[] = [];
  let time = Date.UTC(2026, 1, 25, 0, 0, 0);
  for (let i = 0; i < lines; i++) {
    time += Math.floor(next() * 4000);
    const d = new Date(time);
    const stamp = `Feb 25 ${[d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':')}`;
    if (next() < 0.2) {
      out.push(`${stamp} web1 CRON[${i}]: session opened for user root`);
      continue;
    }
    if (open.length < 3 || next() < 0.3) {
      // Few pids: each comes back, often after more than the ten minutes a process is remembered.
      open.push({ pid: 100 + Math.floor(next() * 40), host: `192.0.2.${1 + Math.floor(next() * 30)}`, step: 0 });
    }
    const k = Math.floor(next() * open.length);
    const c = open[k]!;
    const messages = [
      `pam fail rhost=${c.host}`,
      `Failed password for root from ${c.host} port 22`,
      `Accepted password for root from ${c.host} port 22`,
      `Connection closed by ${c.host} port 22`,
    ];
    const message = messages[next() < 0.5 ? c.step : Math.floor(next() * 4)]!;
    c.step++;
    out.push(next() < 0.02 ? `sshd[${c.pid}]: ${message}` : `${stamp} web1 sshd[${c.pid}]: ${message}`);
    if (c.step > 3) open.splice(k, 1);
  }
  return `${out.join('\n')}\n`;
}

function job(file: string, mode: 'lines' | 'pid', threads: number, hosts: boolean, chunkBytes = 997): SplitJob {
  return {
    source: { filterId: 'unused' },
    options: {},
    format: 'auto',
    input: file,
    size: statSync(file).size,
    mode,
    threads,
    hosts,
    chunkBytes,
    next: new SharedArrayBuffer(4),
  };
}

/** Runs every other part in this thread, each with its own copy of the filter, as a worker would. */
const inline =
  (definition: FilterDefinition): PartRunner =>
  async (j, index) =>
    scanPart(compileFilter(definition), j, index);

function summary(result: SplitResult | undefined) {
  const t = result!.tally;
  const perHost: Record<string, number> = {};
  if (t.perHost) for (let e = t.perHost.first(); e !== -1; e = t.perHost.next(e)) perHost[t.perHost.keyAt(e)] = t.perHost.valueAt(e);
  return { lines: t.lines, matched: t.matched, noDate: t.noDate, failures: t.failures, perRule: t.perRule, samples: t.samples, perHost, truncated: result!.truncated };
}

describe('scanSplit', () => {
  const file = join(dir, 'pam.log');
  writeFileSync(file, correlatingLog(20_000));

  test('a filter that correlates by pid: each thread its processes, the counts of one thread', async () => {
    expect(compileFilter(correlating).splitBy).toBe('pid');
    for (const hosts of [false, true]) {
      const one = summary(await scanSplit(compileFilter(correlating), job(file, 'pid', 1, hosts), inline(correlating)));
      expect(one.failures).toBeGreaterThan(5000);
      expect(one.perRule.every((n, i) => i === 2 || n > 0)).toBe(true);
      for (const threads of [2, 3, 5]) {
        const split = summary(await scanSplit(compileFilter(correlating), job(file, 'pid', threads, hosts), inline(correlating)));
        expect(split, `${threads} threads`).toEqual(one);
      }
    }
  });

  /** Chunks dealt out in turn, thread `p` of `threads` taking chunks p, p + threads, …: each with its own filter. */
  function dealt(definition: FilterDefinition, j: SplitJob): SplitResult {
    const parts = Array.from({ length: j.threads }, (_, p) => {
      let chunk = p - j.threads;
      return scanPart(compileFilter(definition), j, p, () => (chunk += j.threads));
    });
    return mergeParts(compileFilter(definition), j, parts);
  }

  test('the same lines dealt out as chunks count differently: the pid split is what keeps them equal', () => {
    // The control for the test above: a process's lines in two chunks lose their correlation.
    const one = summary(dealt(correlating, job(file, 'lines', 1, true)));
    const chunks = summary(dealt(correlating, job(file, 'lines', 3, true)));
    expect(chunks.lines).toBe(one.lines);
    expect(chunks.perRule).not.toEqual(one.perRule);
  });

  test('a filter without state: chunks in any thread, line numbers of the whole file', () => {
    const plain: FilterDefinition = { id: 'plain', failregex: ['^Failed password for \\S+ from <HOST> port \\d+$', '^pam fail rhost=<HOST>$'] };
    expect(compileFilter(plain).splitBy).toBe('lines');
    for (const hosts of [false, true]) {
      const one = summary(dealt(plain, job(file, 'lines', 1, hosts, 1 << 30)));
      expect(one.failures).toBeGreaterThan(5000);
      for (const threads of [1, 2, 4]) {
        const split = summary(dealt(plain, job(file, 'lines', threads, hosts)));
        expect(split, `${threads} threads`).toEqual(one);
      }
      if (!hosts) expect(one.samples.map((s) => s.lineno)).toEqual([...one.samples.map((s) => s.lineno)].sort((a, b) => a - b));
    }
  });

  test('threads that held too many correlation ids for one thread to have kept them all: no result', async () => {
    // One thread with a limit of 8 ids would have evicted some; the split cannot tell what that changed.
    const small = compileFilter(correlating, {}, { maxCorrelationIds: 8 });
    expect(await scanSplit(small, job(file, 'pid', 2, true), inline(correlating))).toBeUndefined();
  });

  test('a worker that fails: no result (the caller reads the file alone)', async () => {
    expect(await scanSplit(compileFilter(correlating), job(file, 'pid', 2, true), async () => undefined)).toBeUndefined();
  });

  test('filters that cannot be split say so', () => {
    expect(compileFilter({ ...correlating, correlate: (line) => line.hostname }).splitBy).toBeUndefined();
    expect(compileFilter({ ...correlating, match: () => ({ match: () => undefined }) }).splitBy).toBeUndefined();
    expect(compileFilter({ ...correlating, match: () => ({ match: () => undefined }), splitBy: 'pid' }).splitBy).toBe('pid');
    expect(compileFilter({ id: 'f2b', failregex: ['^x <HOST>$'], lineView: 'fail2ban' }).splitBy).toBeUndefined();
  });
});
