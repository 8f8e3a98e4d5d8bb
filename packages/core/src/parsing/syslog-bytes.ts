import type { LogLine } from '../contract/log-line.js';
import { readsProgram } from '../contract/log-line.js';
import type { LineParser } from './line-parser.js';
import { DecodedWindow } from './decoded-window.js';

/** An RFC 3164 date, the only one read in bytes: `Mmm dd hh:mm:ss`, its seconds at 13–14. */
const RFC3164 = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d$/;
const DATE_LENGTH = 15;
/** Headers remembered: a log has a handful of host/program pairs that make up nearly all its lines. */
const HEADERS = 8;
/** Longest pid read in bytes (a longer one takes the text path, which reads up to 20). */
const MAX_PID = 10;

/** A ` host prog` seen lately (bytes after the date, up to the `[pid]:` or `:`), with its parts. */
interface ByteHeader {
  readonly bytes: Uint8Array;
  readonly hostname: string | undefined;
  readonly program: string;
  /** Whether the reader's `programs` read this program. */
  readonly read: boolean;
}

/** What {@link SyslogByteReader.read} found out about a line. */
export interface ByteLine {
  /** The line, or undefined when it is for a program outside `programs`. */
  line: LogLine | undefined;
  /** False when the line was skipped without being decoded. */
  decoded: boolean;
}

/**
 * Reads syslog lines (`Mmm dd hh:mm:ss host prog[pid]: msg`) from their bytes: the date is compared with
 * the last one and only its seconds are read, the ` host prog` part with the few seen lately, the pid is
 * read in place. A line for a program outside `programs` is skipped without decoding it; any other line is decoded once, and its message is a slice of that text. Every
 * line of another shape, and the first line of each minute and of each new header, goes through
 * {@link LineParser} (the same result, from text), whose reading this one learns from: the results are
 * the parser's, line for line.
 */
export class SyslogByteReader {
  /** The last date's bytes, up to its seconds; `minuteTime` is the time at second 0 of that minute. */
  private readonly minute = new Uint8Array(13);
  private minuteKnown = false;
  private minuteTime = 0;
  private readonly headers: ByteHeader[] = [];
  private readonly result: ByteLine = { line: undefined, decoded: false };
  private readonly window = new DecodedWindow();

  /**
   * @param partition read only the lines of the processes whose pid modulo `count` is `index` (a line
   *   without a pid belongs to index 0); the others are skipped undecoded, as lines of other programs are.
   *   Threads that each take one index share a log's processes out between them (see
   *   `CompiledFilter.splitBy`).
   */
  constructor(
    private readonly parser: LineParser,
    private readonly programs: ReadonlySet<string> | undefined,
    private readonly partition?: { readonly index: number; readonly count: number } | undefined,
  ) {}

  /**
   * The line `buf[start, end)` (no newline, no trailing `\r`, at most the maximum line length). The
   * returned object is reused by the next call. `buf` may be a read buffer refilled between calls: see
   * {@link DecodedWindow} for when its decoded text is reused.
   */
  read(buf: Buffer, start: number, end: number, lineno: number, source: string | undefined): ByteLine {
    const r = this.result;
    r.decoded = false;
    r.line = undefined;
    if (this.minuteKnown && end - start > DATE_LENGTH && this.sameMinute(buf, start)) {
      const s1 = buf[start + 13]! - 48;
      const s2 = buf[start + 14]! - 48;
      if (s1 >= 0 && s1 <= 5 && s2 >= 0 && s2 <= 9) {
        const at = start + DATE_LENGTH;
        const headers = this.headers;
        next: for (let h = 0; h < headers.length; h++) {
          const header = headers[h]!;
          const bytes = header.bytes;
          if (at + bytes.length >= end) continue;
          for (let k = bytes.length - 1; k >= 0; k--) if (buf[at + k] !== bytes[k]) continue next;
          let i = at + bytes.length;
          let pidStart = -1;
          let pidEnd = -1;
          if (buf[i] === 91) {
            pidStart = ++i;
            while (i < end && i - pidStart <= MAX_PID && buf[i]! >= 48 && buf[i]! <= 57) i++;
            if (i === pidStart || i - pidStart > MAX_PID || buf[i] !== 93) break;
            pidEnd = i++;
          }
          // `: ` then the message; not Solaris' `[ID …]` message id, which the text path takes off.
          if (buf[i] !== 58 || buf[i + 1] !== 32 || buf[i + 2] === 91) break;
          if (!header.read) return r;
          const partition = this.partition;
          if (partition !== undefined) {
            // At most MAX_PID digits: the value is exact in a double.
            let pid = 0;
            for (let k = pidStart; k < pidEnd; k++) pid = pid * 10 + buf[k]! - 48;
            if (pid % partition.count !== partition.index) return r;
          }
          const message = i + 2;
          // The header is ASCII: its bytes and its characters line up.
          const raw = this.window.text(buf, start, end);
          r.decoded = true;
          r.line = {
            raw,
            message: raw.slice(message - start),
            time: this.minuteTime + (s1 * 10 + s2) * 1000,
            program: header.program,
            pid: pidStart === -1 ? undefined : raw.slice(pidStart - start, pidEnd - start),
            hostname: header.hostname,
            lineno,
            source,
          };
          return r;
        }
      }
    }
    return this.fromText(this.window.text(buf, start, end), lineno, source);
  }

  /** A line as text through the parser, learning its date and header for the lines after it. */
  fromText(raw: string, lineno: number, source: string | undefined): ByteLine {
    const r = this.result;
    r.decoded = true;
    const line = this.parser.parse(raw, lineno, source);
    r.line = line;
    if (line.program !== undefined && raw.length > DATE_LENGTH) this.learn(raw, line);
    if (
      this.programs !== undefined &&
      line.program !== undefined &&
      !readsProgram(this.programs, line.program)
    )
      r.line = undefined;
    else if (this.partition !== undefined && pidOwner(line.pid, this.partition.count) !== this.partition.index) r.line = undefined;
    return r;
  }

  private sameMinute(buf: Buffer, start: number): boolean {
    const m = this.minute;
    for (let k = 12; k >= 0; k--) if (buf[start + k] !== m[k]) return false;
    return true;
  }

  /**
   * Remembers the date and the header of a line the parser read as `date host prog[pid]: message`, when
   * it is exactly that (ASCII header, RFC 3164 date, seconds that agree with the time).
   */
  private learn(raw: string, line: LogLine): void {
    const headerLength = raw.length - line.message.length;
    if (!Number.isFinite(line.time) || !raw.endsWith(line.message)) return;
    const tail = line.pid === undefined ? ': ' : `[${line.pid}]: `;
    const programEnd = headerLength - tail.length;
    const middle = line.hostname === undefined ? ` ${line.program}` : ` ${line.hostname} ${line.program}`;
    if (programEnd - middle.length !== DATE_LENGTH || !raw.startsWith(middle + tail, DATE_LENGTH)) return;
    const date = raw.slice(0, DATE_LENGTH);
    for (let k = 0; k < headerLength; k++) if (raw.charCodeAt(k) > 126) return;
    if (line.pid !== undefined && !/^\d{1,10}$/.test(line.pid)) return;
    if (line.message.charCodeAt(0) === 91 || !RFC3164.test(date)) return;
    const second = Number(date.slice(13));
    if (((Math.floor(line.time / 1000) % 60) + 60) % 60 !== second) return;
    for (let k = 0; k < 13; k++) this.minute[k] = date.charCodeAt(k);
    this.minuteTime = line.time - second * 1000;
    this.minuteKnown = true;
    if (this.headers.some((h) => h.program === line.program && h.hostname === line.hostname)) return;
    if (this.headers.length >= HEADERS) this.headers.pop();
    this.headers.unshift({
      bytes: Buffer.from(middle, 'latin1'),
      hostname: line.hostname,
      program: line.program!,
      read: this.programs === undefined || readsProgram(this.programs, line.program!),
    });
  }
}

/** Which of `count` partitions the lines of `pid` belong to: its value modulo `count`, as the byte path reads it. */
function pidOwner(pid: string | undefined, count: number): number {
  if (pid === undefined) return 0;
  let owner = 0;
  for (let k = 0; k < pid.length; k++) {
    const digit = pid.charCodeAt(k) - 48;
    // (The parser reads pids as digits; anything else has one owner all the same.)
    if (digit < 0 || digit > 9) return 0;
    // The remainder digit by digit: the same as the byte path's (value % count) for any length.
    owner = (owner * 10 + digit) % count;
  }
  return owner;
}
