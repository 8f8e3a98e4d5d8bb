import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type FilterDefinition, type Failure, type LogLine, PortcullisError } from '@portcullis/core';
import { type CompiledFilter, OrderedHostMap, compileFilter } from '@portcullis/core/filtering';
import { escapeControls } from '../output/escape-controls.js';
import { JsonLinesOutput } from '../output/json-lines-output.js';
import { FilterTally, LogScan, READ } from './log-scan.js';
import { CHUNK_BYTES, type SplitResult, scanSplit } from './split-scan.js';
import type { TestFilterSource } from './test-filter-definition.js';

/** Arguments of {@link runTestFilter}; the CLI resolves the filter id to a definition. */
export interface TestFilterArgs {
  readonly definition: FilterDefinition;
  /**
   * What named the filter on the command line: with it, worker threads can build the same filter, and a
   * large file is read by several threads (see {@link TestFilterArgs.threads}).
   */
  readonly source?: TestFilterSource | undefined;
  readonly options: Record<string, string>;
  /** A file path, or `-` for stdin. */
  readonly input: string;
  readonly format: 'auto' | 'syslog' | 'journal';
  readonly json: boolean;
  /**
   * Print failures per host instead of the summary: one `{"host","failures"}` object per line, most failures
   * first (then by host), to see which hosts a log would get banned and how close each came.
   */
  readonly hosts?: boolean | undefined;
  /** Print every matched line (fail2ban-regex's --print-all-matched), with the date it got. */
  readonly printMatched?: boolean | undefined;
  /** Print every line that did not match (fail2ban-regex's --print-all-missed), with the date it got. */
  readonly printMissed?: boolean | undefined;
  /**
   * Threads reading a file for the summary or `--hosts` (default: the machine's cores, at most
   * {@link MAX_THREADS}, for a file of {@link SPLIT_MIN_BYTES} or more; for a filter that correlates by pid,
   * from 4 cores; 1 reads it in this thread). Each thread takes chunks of the file, or, for a filter that
   * correlates lines by pid, the processes of its share; the counts are those one thread gives. `--json`
   * and the printed lines keep the file's order, so they are read in one thread.
   */
  readonly threads?: number | undefined;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Threads for a large file when `--threads` is not given: one per core, at most {@link MAX_THREADS}. Split by
 * pid, every thread still cuts and skips every line of the file (about a fifth of a one-thread run) and
 * warms up a filter of its own: on 2 cores two threads finished with 1.6× the CPU time and no faster than
 * one, so a pid split starts at {@link PID_SPLIT_MIN_CORES} cores.
 */
function defaultThreads(mode: 'lines' | 'pid'): number {
  const cores = availableParallelism();
  if (mode === 'pid' && cores < PID_SPLIT_MIN_CORES) return 1;
  return Math.min(MAX_THREADS, cores);
}

/** Fewest cores on which a filter that correlates by pid is read by several threads unless asked. */
const PID_SPLIT_MIN_CORES = 4;

/** Smallest file read by several threads unless `threads` asks for it: below, starting them costs more. */
export const SPLIT_MIN_BYTES = 16 * 1024 * 1024;
/** Most threads used by default: past the read and merge, a log has little more to share out. */
const MAX_THREADS = 4;

const RESERVED = new Set(['lineno', 'filter', 'host', 'time', 'user']);

/**
 * `portcullis test-filter`: runs a filter over a whole log (every failure counts; there is no findtime
 * here) and prints either a summary or, with `json`, one JSON object per failure and nothing else.
 * Input is read in 256 KiB chunks into one reused buffer and split without readline.
 * @returns the exit code: 0, or 2 when the input cannot be read or the options are invalid.
 */
export async function runTestFilter(args: TestFilterArgs): Promise<number> {
  let filter: CompiledFilter;
  try {
    filter = compileFilter(args.definition, args.options);
  } catch (e) {
    if (!(e instanceof PortcullisError)) throw e;
    args.stderr.write(`portcullis test-filter: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    return 2;
  }
  const hosts = args.hosts === true;
  try {
    const split = await readSplit(args, filter);
    if (split !== undefined) {
      args.stdout.write(hosts ? hostLines(split.tally.perHost!) : report(filter, split.tally, split.truncated, split.threads));
      return 0;
    }
  } catch (e) {
    return cannotRead(args, e);
  }
  const tally = new FilterTally(filter.rules.length, hosts ? new OrderedHostMap() : undefined, !args.json);
  // JSON to the process's stdout goes straight to fd 1 from the thread pool (see JsonLinesOutput).
  const out = new JsonLinesOutput(args.json && args.stdout === process.stdout ? 1 : args.stdout);
  // A reader that goes away (`| head`) ends the run quietly instead of crashing on EPIPE.
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  args.stdout.on('error', onError);
  const source = args.input === '-' ? 'stdin' : args.input;
  const print = (what: string, line: LogLine): void => {
    const time = filter.lineTime;
    const when = Number.isFinite(time) ? new Date(time).toISOString() : 'no date';
    args.stdout.write(escapeControls(`${what} ${String(line.lineno ?? '?').padStart(6)}  ${when}  ${line.raw}`) + '\n');
  };
  const json = (found: readonly Failure[], lineno: number): void => {
    for (const f of found) {
      // Bytes: fixed parts, then 6 per character at most for escaped text.
      let size = 96 + 6 * (filter.id.length + f.host.length + (f.user?.length ?? 0));
      if (f.fields) for (const k in f.fields) size += 8 + 6 * (k.length + f.fields[k]!.length);
      out.begin(size);
      out.openRecord(f.line.lineno ?? lineno, filter.id, f.host, f.time, f.user);
      if (f.fields) {
        for (const k in f.fields) {
          if (RESERVED.has(k)) continue;
          out.ascii(',');
          out.string(k);
          out.ascii(':');
          out.string(f.fields[k]!);
        }
      }
      out.ascii('}\n');
    }
  };
  const scan = new LogScan(
    filter,
    args.format,
    tally,
    source,
    {
      matched:
        args.json || args.printMatched
          ? (line, found, lineno) => {
              if (args.printMatched) print('matched', line);
              if (args.json) json(found, lineno);
            }
          : undefined,
      missed: args.printMissed ? (line) => print('missed ', line) : undefined,
    },
    // Printing missed lines needs every line built, also those of other programs.
    { allLines: args.printMissed },
  );
  const cutter = scan.cutter;

  try {
    if (args.input === '-') {
      for await (const chunk of process.stdin) {
        cutter.push(chunk as Buffer, scan.onLine, scan.onText);
        await out.flushIfFull();
        if (closed || out.closed) break;
      }
    } else {
      const fd = openSync(args.input, 'r');
      try {
        const buffer = Buffer.allocUnsafe(READ);
        for (;;) {
          const n = readSync(fd, buffer, 0, READ, null);
          if (n === 0) break;
          cutter.push(n === READ ? buffer : buffer.subarray(0, n), scan.onLine, scan.onText);
          await out.flushIfFull();
          if (closed || out.closed) break;
        }
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    return cannotRead(args, e);
  }
  if (!closed && !out.closed) {
    cutter.flush(scan.onLine, scan.onText);
    await out.flush(true);
    if (tally.perHost !== undefined) args.stdout.write(hostLines(tally.perHost));
    else if (!args.json) args.stdout.write(report(filter, tally, cutter.truncated, 1));
  }
  args.stdout.off('error', onError);
  return 0;
}

function cannotRead(args: TestFilterArgs, e: unknown): number {
  const err = e as NodeJS.ErrnoException;
  args.stderr.write(escapeControls(`portcullis test-filter: cannot read ${args.input === '-' ? 'stdin' : `"${args.input}"`}: ${err.code ?? ''} ${err.message}`) + '\n');
  return 2;
}

/**
 * The file read by several threads, when it is worth it and gives the same counts; undefined when it is
 * to be read in this thread.
 */
async function readSplit(args: TestFilterArgs, filter: CompiledFilter): Promise<SplitResult | undefined> {
  if (args.source === undefined || args.input === '-' || args.json || args.printMatched || args.printMissed) return undefined;
  const mode = filter.splitBy;
  if (mode === undefined) return undefined;
  const threads = args.threads ?? defaultThreads(mode);
  if (threads < 2) return undefined;
  const stat = statSync(args.input);
  if (!stat.isFile() || (args.threads === undefined && stat.size < SPLIT_MIN_BYTES)) return undefined;
  const result = await scanSplit(filter, {
    source: args.source,
    options: args.options,
    format: args.format,
    input: args.input,
    size: stat.size,
    mode,
    threads,
    hosts: args.hosts === true,
    chunkBytes: CHUNK_BYTES,
    next: new SharedArrayBuffer(4),
  });
  // Read again in one thread: the split may not have given what one thread gives (see scanSplit).
  if (result === undefined) filter.reset();
  return result;
}

/**
 * `--hosts`: one JSON object per host, most failures first, then by host. Hosts are grouped by count and each
 * group sorted natively: a comparator over tens of thousands of hosts cost more than counting them.
 */
function hostLines(perHost: OrderedHostMap): string {
  const byCount = new Map<number, string[]>();
  for (let e = perHost.first(); e !== -1; e = perHost.next(e)) {
    const host = perHost.keyAt(e);
    const n = perHost.valueAt(e);
    const hosts = byCount.get(n);
    if (hosts === undefined) byCount.set(n, [host]);
    else hosts.push(host);
  }
  let out = '';
  for (const n of [...byCount.keys()].sort((a, b) => b - a)) {
    for (const host of byCount.get(n)!.sort()) out += `${JSON.stringify({ host, failures: n })}\n`;
  }
  return out;
}

/** The human summary; what log lines and filters put in it is escaped (a log line can hold `ESC ] 0 ;`…). */
function report(filter: CompiledFilter, t: FilterTally, truncated: number, threads: number): string {
  const opts = Object.entries(filter.options)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const rows = [
    `filter:            ${filter.id}${opts ? ` (${opts})` : ''}`,
    `lines read:        ${t.lines}`,
    `matched:           ${t.matched}`,
    `missed:            ${t.lines - t.matched}`,
    `failures:          ${t.failures}`,
    `truncated:         ${truncated}`,
    `lines without date: ${t.noDate}`,
    `threads:           ${threads}`,
    '',
    'per rule:',
  ];
  filter.rules.forEach((r, i) => {
    const name = r.description ?? (r.pattern.length > 70 ? `${r.pattern.slice(0, 67)}...` : r.pattern);
    rows.push(
      `  #${String(i).padEnd(3)} ${String(t.perRule[i] ?? 0).padStart(9)}  ${r.kind === 'fail' ? '' : `[${r.kind}] `}${name}`,
    );
  });
  if (t.samples.length > 0) {
    rows.push('', `first ${t.samples.length} matches:`);
    for (const f of t.samples) {
      const when = Number.isFinite(f.time) ? new Date(f.time).toISOString() : 'no date';
      rows.push(`  line ${f.lineno}: ${f.host}${f.user !== undefined ? ` user=${f.user}` : ''} ${when}`);
      rows.push(`    ${f.raw.length > 200 ? `${f.raw.slice(0, 200)}...` : f.raw}`);
    }
  }
  return `${rows.map(escapeControls).join('\n')}\n`;
}
