import { closeSync, openSync, read } from 'node:fs';
import { type FilterDefinition, type Failure, PortcullisError } from '@portcullis/core';
import { LineParser, LineSplitter, compileFilter } from '@portcullis/core/filtering';
import { JsonLinesOutput } from '../output/json-lines-output.js';

/** Arguments of {@link runTestFilter}; the CLI resolves the filter id to a definition. */
export interface TestFilterArgs {
  readonly definition: FilterDefinition;
  readonly options: Record<string, string>;
  /** A file path, or `-` for stdin. */
  readonly input: string;
  readonly format: 'auto' | 'syslog' | 'journal';
  readonly json: boolean;
  /** Print every matched line (fail2ban-regex's --print-all-matched), with the date it got. */
  readonly printMatched?: boolean | undefined;
  /** Print every line that did not match (fail2ban-regex's --print-all-missed), with the date it got. */
  readonly printMissed?: boolean | undefined;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Bytes split and matched at a time: small enough that the lines of one slice are few when the young
 * generation is collected. Lines alive across collections get copied and promoted, and V8
 * grows its young generation when much survives: 256 KiB reads took the peak RSS from ~73 to ~100 MiB.
 */
const CHUNK = 64 * 1024;
const SAMPLES = 5;
/** Bytes asked of one read (in the thread pool, one read ahead of the matching). */
const READ_AHEAD = 512 * 1024;

/** One read into `buffer` from the current position, resolved with the buffer and the bytes read. */
function readInto(fd: number, buffer: Buffer): Promise<[Buffer, number]> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, buffer.length, null, (err, n) => (err ? reject(err) : resolve([buffer, n]))));
}

const RESERVED = new Set(['lineno', 'filter', 'host', 'time', 'user']);

/** Counters of one run, for the human report. */
interface Tally {
  lines: number;
  matched: number;
  noDate: number;
  failures: number;
  perRule: number[];
  samples: Failure[];
}

/**
 * `portcullis test-filter`: runs a filter over a whole log (every failure counts; there is no findtime
 * here) and prints either a summary or, with `json`, one JSON object per failure and nothing else.
 * Input is read in 256 KiB chunks into one reused buffer and split without readline.
 * @returns the exit code: 0, or 2 when the input cannot be read or the options are invalid.
 */
export async function runTestFilter(args: TestFilterArgs): Promise<number> {
  let filter: ReturnType<typeof compileFilter>;
  try {
    filter = compileFilter(args.definition, args.options);
  } catch (e) {
    if (!(e instanceof PortcullisError)) throw e;
    args.stderr.write(`portcullis test-filter: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
    return 2;
  }
  const parser = new LineParser({ format: args.format });
  const splitter = new LineSplitter();
  const tally: Tally = { lines: 0, matched: 0, noDate: 0, failures: 0, perRule: filter.rules.map(() => 0), samples: [] };
  // JSON to the process's stdout goes straight to fd 1 from the thread pool (see JsonLinesOutput).
  const out = new JsonLinesOutput(args.json && args.stdout === process.stdout ? 1 : args.stdout);
  // A reader that goes away (`| head`) ends the run quietly instead of crashing on EPIPE.
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  args.stdout.on('error', onError);
  const source = args.input === '-' ? 'stdin' : args.input;
  // Printing missed lines needs every line built, also those of other programs.
  const programs = args.printMissed ? undefined : filter.programs;
  const printed: string[] = [];
  const print = (what: string, line: { raw: string; lineno?: number | undefined }, time: number): void => {
    const when = Number.isFinite(time) ? new Date(time).toISOString() : 'no date';
    printed.push(`${what} ${String(line.lineno ?? '?').padStart(6)}  ${when}  ${line.raw}\n`);
  };

  const feed = (lines: string[]): void => {
    for (let i = 0; i < lines.length; i++) {
      // Lines of other programs are skipped unbuilt (they had a date, since a header follows one).
      const line = parser.parseFor(lines[i]!, programs, ++tally.lines, source);
      if (line === undefined) continue;
      if (Number.isNaN(line.time)) tally.noDate++;
      const found = filter.match(line);
      if (found === undefined) {
        if (args.printMissed) print('missed ', line, filter.lineTime);
        continue;
      }
      if (args.printMatched) print('matched', line, filter.lineTime);
      tally.matched++;
      for (const f of found) {
        tally.failures++;
        if (f.rule >= 0) tally.perRule[f.rule] = (tally.perRule[f.rule] ?? 0) + 1;
        if (!args.json) {
          if (tally.samples.length < SAMPLES) tally.samples.push(f);
          continue;
        }
        // Bytes: fixed parts, then 6 per character at most for escaped text.
        let size = 96 + 6 * (filter.id.length + f.host.length + (f.user?.length ?? 0));
        if (f.fields) for (const k in f.fields) size += 8 + 6 * (k.length + f.fields[k]!.length);
        out.begin(size);
        out.openRecord(f.line.lineno ?? tally.lines, filter.id, f.host, f.time, f.user);
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
    }
    if (printed.length > 0) {
      args.stdout.write(printed.join(''));
      printed.length = 0;
    }
  };

  try {
    if (args.input === '-') {
      for await (const chunk of process.stdin) {
        feed(splitter.push(chunk as Buffer));
        await out.flushIfFull();
        if (closed || out.closed) break;
      }
    } else {
      // Read ahead: the next read runs in the thread pool while this one's lines are matched. Reads are
      // big (few round trips); lines are split and matched a slice at a time (few alive at once, see CHUNK).
      const fd = openSync(args.input, 'r');
      try {
        const buffers = [Buffer.allocUnsafe(READ_AHEAD), Buffer.allocUnsafe(READ_AHEAD)];
        let next = readInto(fd, buffers[0]!);
        for (let k = 1; ; k++) {
          const [buffer, bytesRead] = await next;
          if (bytesRead === 0) break;
          next = readInto(fd, buffers[k % 2]!);
          for (let at = 0; at < bytesRead; at += CHUNK) feed(splitter.push(buffer.subarray(at, Math.min(bytesRead, at + CHUNK))));
          await out.flushIfFull();
          if (closed || out.closed) {
            await next.catch(() => undefined);
            break;
          }
        }
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    args.stderr.write(`portcullis test-filter: cannot read ${args.input === '-' ? 'stdin' : `"${args.input}"`}: ${err.code ?? ''} ${err.message}\n`);
    return 2;
  }
  if (!closed && !out.closed) {
    feed(splitter.flush());
    await out.flush(true);
    if (!args.json) args.stdout.write(report(filter, tally, splitter.truncated));
  }
  args.stdout.off('error', onError);
  return 0;
}

/** The human summary. */
function report(filter: ReturnType<typeof compileFilter>, t: Tally, truncated: number): string {
  const opts = Object.entries(filter.options).map(([k, v]) => `${k}=${v}`).join(' ');
  const rows = [
    `filter:            ${filter.id}${opts ? ` (${opts})` : ''}`,
    `lines read:        ${t.lines}`,
    `matched:           ${t.matched}`,
    `missed:            ${t.lines - t.matched}`,
    `failures:          ${t.failures}`,
    `truncated:         ${truncated}`,
    `lines without date: ${t.noDate}`,
    '',
    'per rule:',
  ];
  filter.rules.forEach((r, i) => {
    const name = r.description ?? (r.pattern.length > 70 ? `${r.pattern.slice(0, 67)}...` : r.pattern);
    rows.push(`  #${String(i).padEnd(3)} ${String(t.perRule[i] ?? 0).padStart(9)}  ${r.kind === 'fail' ? '' : `[${r.kind}] `}${name}`);
  });
  if (t.samples.length > 0) {
    rows.push('', `first ${t.samples.length} matches:`);
    for (const f of t.samples) {
      const when = Number.isFinite(f.time) ? new Date(f.time).toISOString() : 'no date';
      rows.push(`  line ${f.line.lineno ?? '?'}: ${f.host}${f.user !== undefined ? ` user=${f.user}` : ''} ${when}`);
      rows.push(`    ${f.line.raw.length > 200 ? `${f.line.raw.slice(0, 200)}...` : f.line.raw}`);
    }
  }
  return `${rows.join('\n')}\n`;
}
