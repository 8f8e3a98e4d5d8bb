import { readSync } from 'node:fs';
import { type Failure, type LogLine, detach } from '@portcullis/core';
import {
  ByteLineCutter,
  type CompiledFilter,
  LineParser,
  type OrderedHostMap,
  SyslogByteReader,
} from '@portcullis/core/filtering';

/** Matches the summary shows in full, in line order. */
export const SAMPLES = 5;

/**
 * Bytes read at a time, synchronously: from the page cache a read is a copy, and waiting for the thread
 * pool instead hands the core to other processes on a loaded machine. Lines are cut and pre-checked in the
 * buffer, so only the lines that can match become strings (see SyslogByteReader).
 */
export const READ = 256 * 1024;

/** A match as the summary shows it: plain data, so a worker thread can post it. */
export interface Sample {
  readonly lineno: number;
  readonly host: string;
  readonly user: string | undefined;
  readonly time: number;
  readonly raw: string;
}

/** What test-filter counts over a log or a piece of it. */
export class FilterTally {
  lines = 0;
  matched = 0;
  noDate = 0;
  failures = 0;
  readonly perRule: number[];
  /** The first {@link SAMPLES} matches, kept unless failures go to `perHost` or elsewhere. */
  readonly samples: Sample[] = [];
  /** The host of the last failure counted in `perHost`, and its entry. */
  private lastHost: string | undefined;
  private lastEntry = -1;

  /**
   * @param perHost failures per host (`--hosts`): an IPv4 host is its 32-bit value in typed arrays, since a
   *   `Map` keyed by host strings (each a slice of the read window) cost a third of a run on 45,000 hosts.
   * @param keepSamples whether to keep {@link samples}.
   */
  constructor(
    rules: number,
    readonly perHost: OrderedHostMap | undefined,
    private readonly keepSamples: boolean,
  ) {
    this.perRule = new Array<number>(rules).fill(0);
  }

  /** Counts the failures of a matched line. */
  add(found: readonly Failure[]): void {
    this.matched++;
    for (const f of found) {
      this.failures++;
      if (f.rule >= 0) this.perRule[f.rule] = (this.perRule[f.rule] ?? 0) + 1;
      if (this.perHost !== undefined) this.addHost(f.host, 1);
      else if (this.keepSamples && this.samples.length < SAMPLES) {
        this.samples.push({ lineno: f.line.lineno ?? this.lines, host: detach(f.host), user: f.user && detach(f.user), time: f.time, raw: detach(f.line.raw) });
      }
    }
  }

  /** Counts `n` failures of `host` in {@link perHost} (which must be kept). */
  addHost(host: string, n: number): void {
    const perHost = this.perHost!;
    // An attacker's failures come in runs (one connection, several passwords): the host of the last
    // failure is its entry again without a lookup. (An entry number holds until a new key is set, and
    // every new key set here becomes the last host.)
    let e = host === this.lastHost ? this.lastEntry : perHost.find(host);
    if (e === -1) e = perHost.set(host, 0);
    perHost.setValueAt(e, perHost.valueAt(e) + n);
    this.lastHost = host;
    this.lastEntry = e;
  }
}

/** What a scan tells its caller about each line the filter saw (the `--json` and `--print-*` outputs). */
export interface ScanHooks {
  readonly matched?: ((line: LogLine, found: readonly Failure[], lineno: number) => void) | undefined;
  readonly missed?: ((line: LogLine) => void) | undefined;
}

/**
 * Lines through a filter into a {@link FilterTally}: bytes are cut into lines, each read in bytes first
 * (SyslogByteReader) and built only when the filter can want it.
 */
export class LogScan {
  readonly cutter = new ByteLineCutter();
  private readonly reader: SyslogByteReader;

  /**
   * @param partition with a filter split by pid: the processes this scan reads (see SyslogByteReader).
   * @param allLines build every line, also those of other programs (printing missed lines needs them).
   */
  constructor(
    private readonly filter: CompiledFilter,
    format: 'auto' | 'syslog' | 'journal',
    public tally: FilterTally,
    private readonly source: string,
    private readonly hooks: ScanHooks = {},
    options: { partition?: { index: number; count: number } | undefined; allLines?: boolean | undefined } = {},
  ) {
    this.reader = new SyslogByteReader(
      new LineParser({ format }),
      options.allLines ? undefined : filter.programs,
      options.partition,
    );
  }

  /** A line `buf[start, end)` from the cutter. */
  readonly onLine = (buf: Buffer, start: number, end: number): void => {
    this.take(this.reader.read(buf, start, end, ++this.tally.lines, this.source).line);
  };

  /** A line the cutter had to shorten, as text. */
  readonly onText = (text: string): void => {
    this.take(this.reader.fromText(text, ++this.tally.lines, this.source).line);
  };

  private take(line: LogLine | undefined): void {
    // Lines of other programs (or processes) are skipped unbuilt.
    if (line === undefined) return;
    const tally = this.tally;
    if (Number.isNaN(line.time)) tally.noDate++;
    const found = this.filter.match(line);
    if (found === undefined) {
      this.hooks.missed?.(line);
      return;
    }
    this.hooks.matched?.(line, found, tally.lines);
    tally.add(found);
  }
}

/**
 * Feeds `scan` the lines of `fd` that start in bytes `[from, to)` of a file of `size` bytes: the line that
 * crosses `to` is read to its end, the one that crosses `from` is left to whoever reads the bytes before.
 * Pieces that cover a file end to end therefore give each line to exactly one of them.
 */
export function scanRange(fd: number, from: number, to: number, size: number, scan: LogScan, buffer: Buffer): void {
  let at = from;
  if (from > 0) {
    // A line starts at `from` only when the byte before it ends one.
    readSync(fd, buffer, 0, 1, from - 1);
    if (buffer[0] !== 10) {
      for (;;) {
        if (at >= to) return;
        const n = readSync(fd, buffer, 0, Math.min(READ, size - at), at);
        if (n === 0) return;
        const nl = buffer.indexOf(10);
        if (nl !== -1 && nl < n) {
          at += nl + 1;
          break;
        }
        at += n;
      }
    }
  }
  if (at >= to) return;
  const cutter = scan.cutter;
  for (;;) {
    const n = readSync(fd, buffer, 0, Math.min(READ, size - at), at);
    if (n === 0) break;
    const chunk = n === buffer.length ? buffer : buffer.subarray(0, n);
    if (at + n >= to) {
      // The last line that starts before `to` ends at the first newline from byte `to - 1` on.
      const nl = chunk.indexOf(10, Math.max(0, to - 1 - at));
      if (nl !== -1) {
        cutter.push(chunk.subarray(0, nl + 1), scan.onLine, scan.onText);
        return;
      }
    }
    cutter.push(chunk, scan.onLine, scan.onText);
    at += n;
  }
  cutter.flush(scan.onLine, scan.onText);
}
