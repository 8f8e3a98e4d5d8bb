import { DateDetector } from './date-detector.js';
import type { DateFinder } from './date-pattern.js';
import { detach } from './detach-string.js';
import { type LogLine, readsProgram } from '../contract/log-line.js';
import type { SourceLine } from '../contract/log-source.js';
import { decodeJournalRecord } from '../sources/journal-record.js';

/**
 * How text lines are read: `syslog` (any text log: syslog headers when present, else a daemon's own format),
 * `journal` (one `journalctl -o json` record per line), `auto` (a line starting with `{` is tried as a
 * journal record, anything else as text).
 */
export type LineFormat = 'auto' | 'syslog' | 'journal';

/** A mutable LogLine, filled once per line and then handed out read-only. */
interface Draft {
  raw: string;
  message: string;
  time: number;
  program: string | undefined;
  pid: string | undefined;
  hostname: string | undefined;
  lineno: number | undefined;
  source: string | undefined;
}

/** A syslog header's fields; `message` is where the message starts. */
interface Header {
  program: string | undefined;
  pid: string | undefined;
  hostname: string | undefined;
  message: number;
  /** Where the program name ends (before `[pid]` or `:`); -1 for headers not worth remembering. */
  programEnd: number;
}

/** A ` host prog` (or ` prog`) seen lately, as text, with its parts. */
interface KnownHeader {
  readonly text: string;
  readonly hostname: string | undefined;
  readonly program: string;
}

/** Most headers remembered: a log has a handful of host/program pairs that make up nearly all its lines. */
const KNOWN_HEADERS = 8;

const MAX_TAG = 128;
/** Longest host name word looked at (a DNS name is at most 253 characters). */
const MAX_HOST = 256;

/** The text after a date that starts no known header, without the blanks after the date. */
function messageAfter(text: string, end: number): string {
  let m = end;
  while (text.charCodeAt(m) === 32 || text.charCodeAt(m) === 9) m++;
  return text.slice(m);
}

/**
 * Returns `text[start, end)`, reusing an equal string from `recent` so the few host and program names of a
 * log are not allocated again for every line.
 */
function intern(text: string, start: number, end: number, recent: string[]): string {
  const len = end - start;
  // Compared character by character: for names this short that beats a call to `startsWith`.
  next: for (let i = 0; i < recent.length; i++) {
    const r = recent[i]!;
    if (r.length !== len) continue;
    for (let k = 0; k < len; k++) if (text.charCodeAt(start + k) !== r.charCodeAt(k)) continue next;
    return r;
  }
  const s = text.slice(start, end);
  if (recent.length >= 8) recent.pop();
  recent.unshift(s);
  return s;
}

/**
 * Turns text lines into {@link LogLine}s: finds the date, takes off a syslog header (RFC 3164, RFC 5424,
 * rsyslog ISO) and fills program, pid and hostname from it; decodes journal JSON records. Builds exactly
 * one object per line and never throws on malformed input.
 */
export class LineParser {
  private readonly format: LineFormat;
  private readonly dates: DateFinder;
  /** Recently seen host names and program names (see {@link intern}). */
  private readonly hosts: string[] = [];
  private readonly programs: string[] = [];

  /**
   * @param options.now clock for RFC 3164 year inference (default `Date.now`).
   * @param options.dates how dates are found (a jail's `datepattern`); default: a {@link DateDetector}.
   */
  constructor(options?: { format?: LineFormat | undefined; now?: (() => number) | undefined; dates?: DateFinder | undefined }) {
    this.format = options?.format ?? 'auto';
    this.dates = options?.dates ?? new DateDetector({ now: options?.now });
  }

  /** Parses one line of text (no newline). */
  parse(text: string, lineno?: number, source?: string): LogLine {
    return this.parseFor(text, undefined, lineno, source) as LogLine;
  }

  /**
   * Like {@link parse}, but returns `undefined`, without building the line, when its syslog header names a
   * program outside `programs` (a filter's `programs`): most lines of a shared log are for other daemons.
   */
  parseFor(
    text: string,
    programs: ReadonlySet<string> | undefined,
    lineno?: number,
    source?: string,
  ): LogLine | undefined {
    let message = text;
    let time = Number.NaN;
    const h = this.header;
    h.program = undefined;
    h.pid = undefined;
    h.hostname = undefined;
    h.message = -1;
    if (this.format === 'journal' || (this.format === 'auto' && text.charCodeAt(0) === 123)) {
      // The journal source's own decoder: a record is read the same way from a file as from journald.
      const record = decodeJournalRecord(text);
      if (record) return this.decoded(record.line, programs, lineno, source);
      if (this.format === 'journal') {
        const line = draft(text, time, lineno, source);
        line.message = '';
        return line;
      }
    }
    let date = this.dates.detect(text);
    if (date === undefined && isDigit(text.charCodeAt(0))) date = this.win32Date(text, h);
    if (date) {
      time = date.time;
      if (date.start > 0) {
        // A date inside the line (Apache access): only the date goes, the text around it stays.
        message = text.slice(0, date.start) + text.slice(date.end);
      } else if (
        text.charCodeAt(0) === 60 &&
        text.charCodeAt(text.indexOf('>') + 1) === 49 &&
        text.charCodeAt(text.indexOf('>') + 2) === 32
      ) {
        const line = draft(text, time, lineno, source);
        if (read5424(text, date.end, line))
          return programs === undefined || line.program === undefined || readsProgram(programs, line.program)
            ? line
            : undefined;
        message = messageAfter(text, date.end);
      } else if (h.pid !== undefined) {
        // Win32-OpenSSH's `pid date message` (see win32Date).
        message = messageAfter(text, date.end);
      } else if (
        text.charCodeAt(date.end - 1) !== 58 &&
        (this.knownHeader(text, date.end, h) || this.newHeader(text, date.end, date.rfc3164, h))
      ) {
        // (A date ending in `:` is lighttpd's `YYYY-MM-DD HH:MM:SS: `, which no syslog header follows.)
        if (programs !== undefined && !readsProgram(programs, h.program!)) return undefined;
        message = text.slice(h.message);
      } else {
        message = messageAfter(text, date.end);
      }
    }
    return { raw: text, message, time, program: h.program, pid: h.pid, hostname: h.hostname, lineno, source };
  }

  /**
   * Win32-OpenSSH's own log (`sshd.log`): `4780 2019-11-19 16:21:41.459 Failed password …`, the process id
   * before the date. Tried only for lines that start with a digit and have no date at the start.
   */
  private win32Date(text: string, h: Header): ReturnType<DateFinder['detect']> {
    let k = 1;
    while (k <= 10 && isDigit(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) !== 32 || !isDigit(text.charCodeAt(k + 1))) return undefined;
    const date = this.dates.detect(text.slice(k + 1));
    if (date === undefined || date.start !== 0 || date.rfc3164) return undefined;
    h.pid = text.slice(0, k);
    date.end += k + 1;
    return date;
  }

  /** Headers seen lately, newest first (see {@link knownHeader}). */
  private readonly known: KnownHeader[] = [];

  /**
   * A header whose ` host prog` is one seen lately: compared character by character (from the end, where
   * program names differ) instead of parsed, then only `[pid]:` is read.
   */
  private knownHeader(text: string, at: number, h: Header): boolean {
    const known = this.known;
    next: for (let r = 0; r < known.length; r++) {
      const k = known[r]!;
      const t = k.text;
      for (let j = t.length - 1; j >= 0; j--) if (text.charCodeAt(at + j) !== t.charCodeAt(j)) continue next;
      if (!readTagTail(text, at + t.length, h)) return false;
      h.hostname = k.hostname;
      h.program = k.program;
      // One step towards the front: the log's most frequent header ends up compared first.
      if (r > 0) {
        known[r] = known[r - 1]!;
        known[r - 1] = k;
      }
      return true;
    }
    return false;
  }

  /** {@link readSyslogHeader}, remembering the header for {@link knownHeader}. */
  private newHeader(text: string, at: number, rfc3164: boolean, h: Header): boolean {
    h.programEnd = -1;
    if (!readSyslogHeader(text, at, rfc3164, h, this.hosts, this.programs)) return false;
    if (h.programEnd > at) {
      if (this.known.length >= KNOWN_HEADERS) this.known.pop();
      this.known.unshift({
        text: detach(text.slice(at, h.programEnd)),
        hostname: h.hostname,
        program: h.program!,
      });
    }
    return true;
  }

  /** What {@link readSyslogHeader} found; reused for every line. */
  private readonly header: Header = {
    program: undefined,
    pid: undefined,
    hostname: undefined,
    message: -1,
    programEnd: -1,
  };

  /**
   * A line as a source yields it (see {@link SourceLine}): a line whose source decoded it (`message` set,
   * the journal) is used as it is; a raw line is parsed. Like {@link parseFor}, returns `undefined` for a
   * line of a program outside `programs`.
   */
  fromSource(
    line: SourceLine,
    programs?: ReadonlySet<string> | undefined,
    lineno?: number,
    source?: string,
  ): LogLine | undefined {
    if (line.message === undefined) return this.parseFor(line.text, programs, lineno, source);
    return this.decoded(line, programs, lineno, source);
  }

  private decoded(
    line: SourceLine,
    programs: ReadonlySet<string> | undefined,
    lineno: number | undefined,
    source: string | undefined,
  ): LogLine | undefined {
    const program = line.program;
    if (programs !== undefined && program !== undefined && !readsProgram(programs, program)) return undefined;
    return {
      raw: line.text,
      message: line.message ?? line.text,
      time: line.time ?? Number.NaN,
      program,
      pid: line.pid,
      hostname: line.hostname,
      lineno,
      source,
    };
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A line with only its text, time and place: the RFC 5424 reader fills in the rest. */
function draft(text: string, time: number, lineno: number | undefined, source: string | undefined): Draft {
  return {
    raw: text,
    message: text,
    time,
    program: undefined,
    pid: undefined,
    hostname: undefined,
    lineno,
    source,
  };
}

function isTagChar(c: number): boolean {
  // Anything visible except the delimiters of `prog[pid]:`.
  return c > 32 && c !== 91 && c !== 93 && c !== 58 && c < 127;
}

/**
 * `host prog[pid]: msg` / `host prog: msg` (also without host) after a syslog date ending at `at`. After an
 * RFC 3164 date also busybox syslogd's `host facility.level prog[pid]: msg` (Alpine, OpenWrt) and
 * metalog's `[prog] msg` (Gentoo). Returns false when the rest is not shaped like any of them.
 */
function readSyslogHeader(
  text: string,
  at: number,
  rfc3164: boolean,
  line: Header,
  hosts: string[],
  programs: string[],
): boolean {
  if (text.charCodeAt(at) !== 32) return false;
  let i = at + 1;
  if (rfc3164 && text.charCodeAt(i) === 91) return readMetalog(text, i, line, programs);
  // Loops rather than indexOf: these words are short, and a builtin call costs more than the scan.
  let firstEnd = i;
  const limit = Math.min(text.length, i + MAX_HOST);
  while (firstEnd < limit && text.charCodeAt(firstEnd) !== 32) firstEnd++;
  if (firstEnd === i || firstEnd === limit) return false;
  // Without a host name the first word is already `prog[pid]:`.
  let hostStart = -1;
  if (!endsTag(text, firstEnd)) {
    // No host name starts with `(` or `[`: `(mod_auth.c.1136) digest: …` is a message, not `host prog: …`.
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91) return false;
    hostStart = i;
    i = firstEnd + 1;
  }
  let start = i;
  while (i - start < MAX_TAG && isTagChar(text.charCodeAt(i))) i++;
  if (i === start) return false;
  if (rfc3164 && hostStart !== -1 && text.charCodeAt(i) === 32 && isFacilityLevel(text, start, i)) {
    start = ++i;
    while (i - start < MAX_TAG && isTagChar(text.charCodeAt(i))) i++;
    if (i === start) return false;
  }
  if (!readTagTail(text, i, line)) return false;
  line.hostname = hostStart === -1 ? undefined : intern(text, hostStart, firstEnd, hosts);
  line.program = intern(text, start, i, programs);
  line.programEnd = i;
  return true;
}

/** `[pid]: ` or `: ` at `i`, right after a program name: fills `pid` and `message`; false when not there. */
function readTagTail(text: string, i: number, line: Header): boolean {
  let pid: string | undefined;
  let at = i;
  if (text.charCodeAt(at) === 91) {
    let close = at + 1;
    while (close - at <= 21 && close < text.length && text.charCodeAt(close) !== 93) close++;
    if (close - at > 21 || close >= text.length) return false;
    pid = text.slice(at + 1, close);
    at = close + 1;
  }
  if (text.charCodeAt(at) !== 58) return false;
  at++;
  if (at < text.length && text.charCodeAt(at) !== 32) return false;
  line.pid = pid;
  line.message = skipSolarisId(text, at + 1);
  return true;
}

/**
 * Solaris syslogd's message id after the tag (`sshd[1]: [ID 800047 auth.info] Failed …`) is part of the
 * header: the message starts after it. Returns `i` when there is none.
 */
function skipSolarisId(text: string, i: number): number {
  if (text.charCodeAt(i) !== 91 || !text.startsWith('[ID ', i)) return i;
  let k = i + 4;
  const digits = k;
  while (k - digits <= 10 && isDigit(text.charCodeAt(k))) k++;
  if (k === digits || k - digits > 10 || text.charCodeAt(k) !== 32) return i;
  const word = ++k;
  let dot = false;
  for (; k - word <= 32; k++) {
    const c = text.charCodeAt(k);
    if (c === 46) dot = true;
    else if (!((c >= 97 && c <= 122) || isDigit(c))) break;
  }
  if (!dot || k === word || k - word > 32 || text.charCodeAt(k) !== 93 || text.charCodeAt(k + 1) !== 32)
    return i;
  return k + 2;
}

/** busybox's `facility.level` word (`authpriv.info`, `daemon.err`, `local7.notice`) in `text[start, end)`. */
function isFacilityLevel(text: string, start: number, end: number): boolean {
  const dot = text.indexOf('.', start);
  if (dot - start < 2 || dot - start > 10 || end - dot - 1 < 3 || end - dot - 1 > 7) return false;
  for (let k = start; k < end; k++) {
    const c = text.charCodeAt(k);
    if (k !== dot && !((c >= 97 && c <= 122) || (k < dot && isDigit(c)))) return false;
  }
  return true;
}

/** metalog's `[prog] msg` (no host, no pid; also `[prog]: msg`) at `i`. */
function readMetalog(text: string, i: number, line: Header, programs: string[]): boolean {
  const start = i + 1;
  let k = start;
  while (k - start < MAX_TAG && isTagChar(text.charCodeAt(k))) k++;
  if (k === start || text.charCodeAt(k) !== 93) return false;
  // `[prog] msg`, or `[prog]: msg` as some syslog daemons write it.
  const colon = text.charCodeAt(k + 1) === 58 ? 1 : 0;
  if (text.charCodeAt(k + 1 + colon) !== 32) return false;
  line.hostname = undefined;
  line.program = intern(text, start, k, programs);
  line.pid = undefined;
  line.message = k + 2 + colon;
  return true;
}

/** True when the word ending at `end` looks like `prog:` or `prog[pid]:`. */
function endsTag(text: string, end: number): boolean {
  return text.charCodeAt(end - 1) === 58;
}

/** RFC 5424 after the timestamp: ` HOST APP PROCID MSGID SD [MSG]`. */
function read5424(text: string, at: number, line: Draft): boolean {
  const fields: (string | undefined)[] = [];
  let i = at;
  for (let k = 0; k < 4; k++) {
    if (text.charCodeAt(i) !== 32) return false;
    const end = text.indexOf(' ', i + 1);
    const stop = end === -1 ? text.length : end;
    if (stop === i + 1) return false;
    const v = text.slice(i + 1, stop);
    fields.push(v === '-' ? undefined : v);
    i = stop;
  }
  if (text.charCodeAt(i) !== 32) return false;
  i++;
  if (text.charCodeAt(i) === 45) i++;
  else {
    // Structured data: one or more [id param="value"…] elements; `\]` and `\"` are escapes inside values.
    while (text.charCodeAt(i) === 91) {
      let quoted = false;
      i++;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 92 && quoted) i++;
        else if (c === 34) quoted = !quoted;
        else if (c === 93 && !quoted) break;
      }
      if (i >= text.length) return false;
      i++;
    }
  }
  if (i < text.length && text.charCodeAt(i) !== 32) return false;
  let msg = i < text.length ? text.slice(i + 1) : '';
  if (msg.charCodeAt(0) === 0xfeff) msg = msg.slice(1);
  line.hostname = fields[0];
  line.program = fields[1];
  line.pid = fields[2];
  line.message = msg;
  return true;
}
