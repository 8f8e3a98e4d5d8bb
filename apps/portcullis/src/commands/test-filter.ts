import { closeSync, openSync, readSync } from 'node:fs';
import { type FilterDefinition, type Failure, type LogLine, PortcullisError, detach } from '@portcullis/core';
import { ByteLineCutter, LineParser, SyslogByteReader, compileFilter } from '@portcullis/core/filtering';
import { escapeControls } from '../output/escape-controls.js';
import { JsonLinesOutput } from '../output/json-lines-output.js';

/** Arguments of {@link runTestFilter}; the CLI resolves the filter id to a definition. */
export interface TestFilterArgs {
  readonly definition: FilterDefinition;
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
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const SAMPLES = 5;
/**
 * Bytes read at a time, synchronously: from the page cache a read is a copy, and waiting for the thread
 * pool instead hands the core to other processes on a loaded machine. Lines are cut and pre-checked in the
 * buffer, so only the lines that can match become strings (see SyslogByteReader).
 */
const READ = 256 * 1024;

const RESERVED = new Set(['lineno', 'filter', 'host', 'time', 'user']);

/** Counters of one run, for the human report. */
interface Tally {
  lines: number;
  matched: number;
  noDate: number;
  failures: number;
  perRule: number[];
  samples: Failure[];
  /** Failures per host, kept only with `hosts`. */
  perHost: Map<string, number> | undefined;
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
  const reader = new SyslogByteReader(parser, args.printMissed ? undefined : filter.programs);
  const cutter = new ByteLineCutter();
  const tally: Tally = {
    lines: 0,
    matched: 0,
    noDate: 0,
    failures: 0,
    perRule: filter.rules.map(() => 0),
    samples: [],
    perHost: args.hosts ? new Map() : undefined,
  };
  // JSON to the process's stdout goes straight to fd 1 from the thread pool (see JsonLinesOutput).
  const out = new JsonLinesOutput(args.json && args.stdout === process.stdout ? 1 : args.stdout);
  // A reader that goes away (`| head`) ends the run quietly instead of crashing on EPIPE.
  let closed = false;
  const onError = (): void => {
    closed = true;
  };
  args.stdout.on('error', onError);
  const source = args.input === '-' ? 'stdin' : args.input;
  // Printing missed lines needs every line built, also those of other programs (see the reader below).
  const print = (what: string, line: { raw: string; lineno?: number | undefined }, time: number): void => {
    const when = Number.isFinite(time) ? new Date(time).toISOString() : 'no date';
    args.stdout.write(escapeControls(`${what} ${String(line.lineno ?? '?').padStart(6)}  ${when}  ${line.raw}`) + '\n');
  };

  const take = (line: LogLine | undefined): void => {
    // Lines of other programs are skipped unbuilt (they had a date, since a header follows one).
    if (line === undefined) return;
    if (Number.isNaN(line.time)) tally.noDate++;
    const found = filter.match(line);
    if (found === undefined) {
      if (args.printMissed) print('missed ', line, filter.lineTime);
      return;
    }
    if (args.printMatched) print('matched', line, filter.lineTime);
    tally.matched++;
    for (const f of found) {
      tally.failures++;
      if (f.rule >= 0) tally.perRule[f.rule] = (tally.perRule[f.rule] ?? 0) + 1;
      if (tally.perHost !== undefined) {
        // A new host is copied: the host text is a view into the read window, which a key would keep alive.
        const n = tally.perHost.get(f.host);
        if (n === undefined) tally.perHost.set(detach(f.host), 1);
        else tally.perHost.set(f.host, n + 1);
        continue;
      }
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
  };
  const onLine = (buf: Buffer, start: number, end: number): void => {
    take(reader.read(buf, start, end, ++tally.lines, source).line);
  };
  const onText = (text: string): void => {
    take(reader.fromText(text, ++tally.lines, source).line);
  };

  try {
    if (args.input === '-') {
      for await (const chunk of process.stdin) {
        cutter.push(chunk as Buffer, onLine, onText);
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
          cutter.push(n === READ ? buffer : buffer.subarray(0, n), onLine, onText);
          await out.flushIfFull();
          if (closed || out.closed) break;
        }
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    args.stderr.write(escapeControls(`portcullis test-filter: cannot read ${args.input === '-' ? 'stdin' : `"${args.input}"`}: ${err.code ?? ''} ${err.message}`) + '\n');
    return 2;
  }
  if (!closed && !out.closed) {
    cutter.flush(onLine, onText);
    await out.flush(true);
    if (tally.perHost !== undefined) args.stdout.write(hostLines(tally.perHost));
    else if (!args.json) args.stdout.write(report(filter, tally, cutter.truncated));
  }
  args.stdout.off('error', onError);
  return 0;
}

/**
 * `--hosts`: one JSON object per host, most failures first, then by host. Hosts are grouped by count and each
 * group sorted natively: a comparator over tens of thousands of hosts cost more than counting them.
 */
function hostLines(perHost: Map<string, number>): string {
  const byCount = new Map<number, string[]>();
  for (const [host, n] of perHost) {
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
function report(filter: ReturnType<typeof compileFilter>, t: Tally, truncated: number): string {
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
      rows.push(
        `  line ${f.line.lineno ?? '?'}: ${f.host}${f.user !== undefined ? ` user=${f.user}` : ''} ${when}`,
      );
      rows.push(`    ${f.line.raw.length > 200 ? `${f.line.raw.slice(0, 200)}...` : f.line.raw}`);
    }
  }
  return `${rows.map(escapeControls).join('\n')}\n`;
}
