import { closeSync, openSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { type CompiledFilter, OrderedHostMap } from '@portcullis/core/filtering';
import { FilterTally, LogScan, READ, SAMPLES, type Sample, scanRange } from './log-scan.js';
import type { TestFilterSource } from './test-filter-definition.js';

/**
 * Bytes a thread takes at a time when a filter's lines can go to any thread: small enough that threads
 * finish together (one that starts late takes fewer), large enough that taking one is rare.
 */
export const CHUNK_BYTES = 4 * 1024 * 1024;

/** Everything a thread needs for its part of a split scan: plain data, posted to a worker as is. */
export interface SplitJob {
  readonly source: TestFilterSource;
  readonly options: Record<string, string>;
  readonly format: 'auto' | 'syslog' | 'journal';
  readonly input: string;
  readonly size: number;
  readonly mode: 'lines' | 'pid';
  readonly threads: number;
  readonly hosts: boolean;
  readonly chunkBytes: number;
  /** `lines`: the next chunk to take, shared by every thread (Atomics). */
  readonly next: SharedArrayBuffer;
}

/** The counts of one chunk (`lines`) or one thread's processes (`pid`). */
interface PieceCounts {
  readonly index: number;
  readonly lines: number;
  readonly matched: number;
  readonly noDate: number;
  readonly failures: number;
  readonly perRule: readonly number[];
  readonly samples: readonly Sample[];
}

/** What one thread posts back. */
export interface PartResult {
  readonly pieces: readonly PieceCounts[];
  readonly hostKeys: readonly string[];
  readonly hostCounts: readonly number[];
  readonly truncated: number;
  /** Most correlation ids this thread held at once. */
  readonly correlationPeak: number;
}

/** The merged result of a split scan. */
export interface SplitResult {
  readonly tally: FilterTally;
  readonly truncated: number;
  readonly threads: number;
}

/** Runs part `index` of a job in another thread: undefined when that thread failed. */
export type PartRunner = (job: SplitJob, index: number) => Promise<PartResult | undefined>;

/** Runs a part in a worker thread (test-filter-worker.ts, which builds the filter from `job.source`). */
export const workerPart: PartRunner = (job, index) =>
  new Promise((resolve) => {
    const worker = new Worker(new URL('./test-filter-worker.js', import.meta.url), { workerData: { job, index } });
    worker.once('message', (result: PartResult) => resolve(result));
    worker.once('error', () => resolve(undefined));
    worker.once('exit', () => resolve(undefined));
  });

/** The next chunk for a thread to read, from the counter every thread of `job` shares. */
export function sharedChunks(job: SplitJob): () => number {
  const next = new Int32Array(job.next);
  return () => Atomics.add(next, 0, 1);
}

/**
 * One thread's part of a split scan: every chunk it takes (`lines`: `take` gives chunk numbers until one is
 * past the end), or the processes of its index (`pid`).
 */
export function scanPart(filter: CompiledFilter, job: SplitJob, index: number, take = sharedChunks(job)): PartResult {
  const perHost = job.hosts ? new OrderedHostMap() : undefined;
  const pieces: PieceCounts[] = [];
  const fd = openSync(job.input, 'r');
  const buffer = Buffer.allocUnsafe(READ);
  const newTally = (): FilterTally => new FilterTally(filter.rules.length, perHost, !job.hosts);
  let scan: LogScan;
  try {
    if (job.mode === 'pid') {
      scan = new LogScan(filter, job.format, newTally(), job.input, {}, { partition: { index, count: job.threads } });
      scanRange(fd, 0, job.size, job.size, scan, buffer);
      pieces.push(counts(index, scan.tally));
    } else {
      scan = new LogScan(filter, job.format, newTally(), job.input);
      const chunks = Math.ceil(job.size / job.chunkBytes);
      for (let i = take(); i < chunks; i = take()) {
        scan.tally = newTally();
        scanRange(fd, i * job.chunkBytes, Math.min(job.size, (i + 1) * job.chunkBytes), job.size, scan, buffer);
        pieces.push(counts(i, scan.tally));
      }
    }
  } finally {
    closeSync(fd);
  }
  const hostKeys: string[] = [];
  const hostCounts: number[] = [];
  if (perHost !== undefined) {
    for (let e = perHost.first(); e !== -1; e = perHost.next(e)) {
      hostKeys.push(perHost.keyAt(e));
      hostCounts.push(perHost.valueAt(e));
    }
  }
  return { pieces, hostKeys, hostCounts, truncated: scan.cutter.truncated, correlationPeak: filter.correlationIds.peak };
}

function counts(index: number, t: FilterTally): PieceCounts {
  return { index, lines: t.lines, matched: t.matched, noDate: t.noDate, failures: t.failures, perRule: t.perRule, samples: t.samples };
}

/**
 * Scans a file with `job.threads` threads, this one included: the result is the one a single thread gives.
 * Undefined when it may not be: a worker failed, or with `pid` the threads together held so many
 * correlation ids that one thread could have had to evict some (the caller then reads the file alone).
 */
export async function scanSplit(filter: CompiledFilter, job: SplitJob, runPart: PartRunner = workerPart): Promise<SplitResult | undefined> {
  const others: Promise<PartResult | undefined>[] = [];
  for (let index = 1; index < job.threads; index++) others.push(runPart(job, index));
  const parts = [scanPart(filter, job, 0), ...(await Promise.all(others))];
  if (parts.some((p) => p === undefined)) return undefined;
  const done = parts as PartResult[];
  if (job.mode === 'pid' && done.reduce((n, p) => n + p.correlationPeak, 0) * 2 >= filter.correlationIds.limit) return undefined;
  return mergeParts(filter, job, done);
}

/** The parts of every thread as one result: what one thread reading the whole file counts. */
export function mergeParts(filter: CompiledFilter, job: SplitJob, parts: readonly PartResult[]): SplitResult {
  const perHost = job.hosts ? new OrderedHostMap() : undefined;
  const tally = new FilterTally(filter.rules.length, perHost, !job.hosts);
  const pieces = parts.flatMap((p) => p.pieces).sort((a, b) => a.index - b.index);
  const samples: Sample[] = [];
  for (const piece of pieces) {
    // `lines`: a chunk numbers its lines from 1, after the lines of the chunks before it. `pid`: every
    // thread read every line, numbered in the file.
    const offset = job.mode === 'lines' ? tally.lines : 0;
    if (job.mode === 'lines' || piece.index === 0) tally.lines += piece.lines;
    tally.matched += piece.matched;
    tally.noDate += piece.noDate;
    tally.failures += piece.failures;
    piece.perRule.forEach((n, i) => {
      tally.perRule[i] = (tally.perRule[i] ?? 0) + n;
    });
    for (const s of piece.samples) samples.push({ ...s, lineno: s.lineno + offset });
  }
  samples.sort((a, b) => a.lineno - b.lineno);
  tally.samples.push(...samples.slice(0, SAMPLES));
  if (perHost !== undefined) {
    for (const part of parts) for (let i = 0; i < part.hostKeys.length; i++) tally.addHost(part.hostKeys[i]!, part.hostCounts[i]!);
  }
  const truncated = job.mode === 'lines' ? parts.reduce((n, p) => n + p.truncated, 0) : parts[0]!.truncated;
  return { tally, truncated, threads: job.threads };
}
