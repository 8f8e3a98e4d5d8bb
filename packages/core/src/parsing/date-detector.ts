/** A date found in a line: its time and where it stands. */
export interface DetectedDate {
  /** Milliseconds since the epoch (UTC). */
  time: number;
  /** Index of the date's first character (a leading `<PRI>` / `<PRI>1 ` and `[` belong to the span). */
  start: number;
  /** Index just after the date (after a closing `]`, a lighttpd `:`). */
  end: number;
  /** True for an RFC 3164 date (`Mmm dd hh:mm:ss`): only syslog writes those, so a syslog header follows. */
  rfc3164: boolean;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const SKEW_MS = 60_000;
/** Most hours whose local start time is remembered. */
const HOUR_CACHE = 4096;
/** 2^62 seconds: the TAI64 label of 1970-01-01 00:00:00 TAI; TAI runs 10 s ahead of UTC's labels. */
const TAI64_EPOCH = 2n ** 62n + 10n;
/** 400 Gregorian years are a whole number of days: how years 0–99 are computed (`Date` reads them as 19xx). */
const CYCLE_YEARS = 400;
const CYCLE_MS = 146_097 * 86_400_000;

/** Years that `Date.UTC` and `new Date(y, …)` take for 1900 + y. */
function twoDigitYear(y: number): boolean {
  return y >= 0 && y < 100;
}

function digit(line: string, i: number): number {
  const c = line.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Value of `n` decimal digits at `i`, or -1. */
function num(line: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const d = digit(line, i + k);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Index of a three-letter name (case-insensitive) at `i` in `names`, or -1. */
function name3(line: string, i: number, names: readonly string[]): number {
  // Compared in place, lower-cased by bit: no slice and no toLowerCase per date. Past the end of the line
  // charCodeAt gives NaN, and NaN | 32 is a space, which no name holds.
  const a = line.charCodeAt(i) | 32;
  const b = line.charCodeAt(i + 1) | 32;
  const c = line.charCodeAt(i + 2) | 32;
  for (let k = 0; k < names.length; k++) {
    const n = names[k]!;
    if (n.charCodeAt(0) === a && n.charCodeAt(1) === b && n.charCodeAt(2) === c) return k;
  }
  return -1;
}

function daysIn(y: number, mo: number): number {
  return mo === 1 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : MONTH_DAYS[mo]!;
}

/** Fields of one date before it is turned into a time. */
class Fields {
  y = 0;
  mo = 0;
  d = 0;
  h = 0;
  mi = 0;
  s = 0;
  ms = 0;
  /** Zone offset in minutes east of UTC; NaN for local time. */
  zone = Number.NaN;
  /** True when the year is missing (RFC 3164) and must be inferred. */
  noYear = false;
}

/**
 * Finds the date of a log line (formats: docs/architecture.md, "Lines" 2). Dates at the start of the line
 * are parsed with character checks, no regex: this runs once per line. Times without a zone are local
 * (the process `TZ`); RFC 3164 dates get the latest year that does not put them more than a minute in the
 * future. The last format that matched is tried first, and the last date string is cached, since
 * consecutive lines usually repeat the same second. Impossible dates (`Feb 30 25:61:00`) count as no date.
 */
export class DateDetector {
  private readonly now: () => number;
  private readonly f = new Fields();
  private lastFormat = 0;
  /**
   * The last date seen is `cacheLine[cacheAt, cacheAt + cacheLength)`: kept as a place in that line, not
   * copied out, so a new second costs no allocation (the one line it keeps alive is replaced soon).
   */
  private cacheLine = '';
  private cacheAt = 0;
  private cacheLength = 0;
  private cacheTime = 0;
  /** Length of the cached date without its two seconds digits; 0 when the date does not end in them. */
  private minuteLength = 0;
  private cacheSecond = 0;
  /** Local time of the start of the last hour computed: `new Date(…)` is the slow part of zone-less dates. */
  private hourKey = -1;
  private hourTime = 0;
  /** Local start times of recently seen hours, by the same key. */
  private readonly hours = new Map<number, number>();
  /** The year of `now()` and the span of time it covers, so year inference needs no Date per line. */
  private yearOf = 0;
  private yearFrom = 1;
  private yearTo = 0;
  /** Reused for every result: callers read it before the next call. */
  private readonly result: DetectedDate = { time: 0, start: 0, end: 0, rfc3164: false };

  /** @param options.now clock for year inference (default `Date.now`). */
  constructor(options?: { now?: (() => number) | undefined }) {
    this.now = options?.now ?? Date.now;
  }

  /**
   * The date at the start of `line` (or an Apache access date anywhere in it); undefined when none. The
   * returned object is reused by the next call: read it, don't keep it.
   */
  detect(line: string): DetectedDate | undefined {
    const p = skipPri(line);
    // Fast path: the same date text as the previous line.
    const cached = this.cacheLine;
    const length = this.cacheLength;
    if (length > 0 && sameAt(line, p, cached, this.cacheAt, length) && !continues(line, p + length)) {
      return this.found(this.cacheTime, 0, p + length);
    }
    // Same minute, other second: only the two digits differ (dates ending in `:SS`).
    const minute = this.minuteLength;
    if (minute > 0 && sameAt(line, p, cached, this.cacheAt, minute) && !continues(line, p + minute + 2)) {
      const sec = num(line, p + minute, 2);
      if (sec >= 0 && sec < 60) {
        this.cacheTime += (sec - this.cacheSecond) * 1000;
        this.cacheSecond = sec;
        this.cacheLine = line;
        this.cacheAt = p;
        return this.found(this.cacheTime, 0, p + length);
      }
    }
    for (let k = 0; k < PARSERS.length; k++) {
      const idx = (k + this.lastFormat) % PARSERS.length;
      const end = PARSERS[idx]!(line, p, this.f);
      if (end < 0) continue;
      const time = this.timeOf();
      if (Number.isNaN(time)) return undefined;
      this.lastFormat = idx;
      this.cacheLine = line;
      this.cacheAt = p;
      this.cacheLength = end - p;
      this.cacheTime = time;
      // The minute cache needs a date that ends in `:SS` (no fraction, zone or lighttpd colon) and no leap
      // second (timeOf made a `:60` 59, so the digits differ).
      const n = end - p;
      this.minuteLength = n > 3 && line.charCodeAt(end - 3) === 58 && this.f.s === num(line, end - 2, 2) ? n - 2 : 0;
      this.cacheSecond = this.f.s;
      return this.found(time, 0, end);
    }
    return this.apacheAccess(line);
  }

  /** `[dd/Mon/yyyy:HH:MM:SS ±zzzz]` anywhere in the line. */
  private apacheAccess(line: string): DetectedDate | undefined {
    for (let i = line.indexOf('['); i !== -1 && i + 28 <= line.length; i = line.indexOf('[', i + 1)) {
      if (line.charCodeAt(i + 3) !== 47 || line.charCodeAt(i + 7) !== 47 || line.charCodeAt(i + 27) !== 93)
        continue;
      const f = this.f;
      f.d = num(line, i + 1, 2);
      f.mo = name3(line, i + 4, MONTHS);
      f.y = num(line, i + 8, 4);
      if (f.d < 0 || f.mo < 0 || f.y < 0 || line.charCodeAt(i + 12) !== 58) continue;
      if (parseClock(line, i + 13, f) !== i + 21 || line.charCodeAt(i + 21) !== 32) continue;
      if (parseZone(line, i + 22, f) !== i + 27) continue;
      f.ms = 0;
      f.noYear = false;
      const time = this.timeOf();
      if (Number.isNaN(time)) continue;
      return this.found(time, i, i + 28, false);
    }
    return undefined;
  }

  /** `rfc3164`: by default whether the last format that matched (`lastFormat`) is RFC 3164's. */
  private found(time: number, start: number, end: number, rfc3164 = this.lastFormat === 0): DetectedDate {
    const r = this.result;
    r.rfc3164 = rfc3164;
    r.time = time;
    r.start = start;
    r.end = end;
    return r;
  }

  private timeOf(): number {
    const f = this.f;
    if (f.mo < 0 || f.mo > 11 || f.d < 1 || f.h > 23 || f.mi > 59 || f.s > 60) return Number.NaN;
    if (f.s === 60) f.s = 59; // a leap second: keep it in its minute
    if (!Number.isNaN(f.zone)) {
      if (f.d > daysIn(f.y, f.mo)) return Number.NaN;
      const shift = twoDigitYear(f.y) ? CYCLE_YEARS : 0;
      return Date.UTC(f.y + shift, f.mo, f.d, f.h, f.mi, f.s, f.ms) - (shift ? CYCLE_MS : 0) - f.zone * 60_000;
    }
    if (!f.noYear) return this.local(f.y);
    // The latest time a line may carry; its year is the first tried (a line a few seconds into the new
    // year, read just before midnight, belongs to the new year).
    const latest = this.now() + SKEW_MS;
    if (latest < this.yearFrom || latest >= this.yearTo) {
      this.yearOf = new Date(latest).getFullYear();
      this.yearFrom = new Date(this.yearOf, 0, 1).getTime();
      this.yearTo = new Date(this.yearOf + 1, 0, 1).getTime();
    }
    let y = this.yearOf;
    // Feb 29 needs a leap year: look back at most 8 years for one.
    for (let tries = 0; tries < 9; tries++, y--) {
      const t = this.local(y);
      if (Number.isNaN(t)) continue;
      if (t <= latest) return t;
    }
    return Number.NaN;
  }

  /** Local time of the fields in year `y`; NaN when the day does not exist in that month. */
  private local(y: number): number {
    const f = this.f;
    if (f.d > daysIn(y, f.mo)) return Number.NaN;
    // Offsets change on the hour everywhere but Lord Howe Island (DST at 02:00 by 30 minutes), so the local
    // start of the hour is computed once and minutes and seconds are added.
    const key = ((y * 12 + f.mo) * 32 + f.d) * 24 + f.h;
    if (key !== this.hourKey) {
      // Logs merged from several sources jump between hours: recent hours are remembered too.
      let time = this.hours.get(key);
      if (time === undefined) {
        time = twoDigitYear(y)
          ? new Date(y + CYCLE_YEARS, f.mo, f.d, f.h, 0, 0).getTime() - CYCLE_MS
          : new Date(y, f.mo, f.d, f.h, 0, 0).getTime();
        if (this.hours.size >= HOUR_CACHE) this.hours.clear();
        this.hours.set(key, time);
      }
      this.hourKey = key;
      this.hourTime = time;
    }
    return this.hourTime + f.mi * 60_000 + f.s * 1000 + f.ms;
  }
}

/** `line[at, at + n)` equals `other[from, from + n)`, compared from the end: dates of consecutive lines differ in the seconds. */
function sameAt(line: string, at: number, other: string, from: number, n: number): boolean {
  // Past the end of `line` charCodeAt gives NaN, which equals nothing.
  for (let i = n - 1; i >= 0; i--) if (line.charCodeAt(at + i) !== other.charCodeAt(from + i)) return false;
  return true;
}

/** Skips a syslog `<PRI>` and an RFC 5424 version `1 `. */
function skipPri(line: string): number {
  if (line.charCodeAt(0) !== 60) return 0;
  let i = 1;
  while (i < 5 && digit(line, i) >= 0) i++;
  if (i === 1 || line.charCodeAt(i) !== 62) return 0;
  i++;
  if (line.charCodeAt(i) === 49 && line.charCodeAt(i + 1) === 32) i += 2;
  return i;
}

/**
 * False only where a cached date may end: a space, a tab or the end of the line. Anything else may extend
 * the date (a fraction, a zone) or spoil it (`1108338850x` is no date), so the line is parsed afresh.
 */
function continues(line: string, i: number): boolean {
  if (i >= line.length) return false;
  const c = line.charCodeAt(i);
  return c !== 32 && c !== 9;
}

/** `HH:MM:SS` at `i` into `f`; returns the index after it or -1. */
function parseClock(line: string, i: number, f: Fields): number {
  f.h = num(line, i, 2);
  f.mi = num(line, i + 3, 2);
  f.s = num(line, i + 6, 2);
  if (f.h < 0 || f.mi < 0 || f.s < 0 || line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 58)
    return -1;
  return i + 8;
}

/** Optional `.fff…` / `,fff…` at `i`; returns the index after it. */
function parseFraction(line: string, i: number, f: Fields): number {
  f.ms = 0;
  const c = line.charCodeAt(i);
  if ((c !== 46 && c !== 44) || digit(line, i + 1) < 0) return i;
  // Milliseconds from the first three digits; the rest are below a millisecond (and summing them as
  // fractions could round up to a whole millisecond: `.9999999999999999999` is not a second later).
  let j = i + 1;
  for (let scale = 100; digit(line, j) >= 0; j++) {
    f.ms += digit(line, j) * scale;
    scale = scale === 1 ? 0 : scale / 10;
  }
  return j;
}

/** `Z`, `±HH:MM`, `±HHMM` or `±HH` at `i`; returns the index after it or -1 (zone set to NaN). */
function parseZone(line: string, i: number, f: Fields): number {
  f.zone = Number.NaN;
  const c = line.charCodeAt(i);
  if (c === 90) {
    f.zone = 0;
    return i + 1;
  }
  if (c !== 43 && c !== 45) return -1;
  const hh = num(line, i + 1, 2);
  if (hh < 0 || hh > 23) return -1;
  let mm = 0;
  let end = i + 3;
  if (line.charCodeAt(end) === 58 && num(line, end + 1, 2) >= 0) {
    mm = num(line, end + 1, 2);
    end += 3;
  } else if (num(line, end, 2) >= 0) {
    mm = num(line, end, 2);
    end += 2;
  }
  if (mm > 59) return -1;
  f.zone = (c === 45 ? -1 : 1) * (hh * 60 + mm);
  return end;
}

type DateParser = (line: string, p: number, f: Fields) => number;

/**
 * `Mmm dd HH:MM:SS[.frac]` (day space- or zero-padded), shared by RFC 3164 and ctime dates: sets month, day,
 * clock and fraction; returns the index after it, or -1.
 */
function monthDayClock(line: string, p: number, f: Fields): number {
  f.mo = name3(line, p, MONTHS);
  if (f.mo < 0 || line.charCodeAt(p + 3) !== 32) return -1;
  let i = p + 4;
  if (line.charCodeAt(i) === 32) i++;
  const d1 = digit(line, i);
  const d2 = digit(line, i + 1);
  if (d1 < 0) return -1;
  f.d = d2 >= 0 ? d1 * 10 + d2 : d1;
  i += d2 >= 0 ? 2 : 1;
  if (line.charCodeAt(i) !== 32) return -1;
  i = parseClock(line, i + 1, f);
  return i < 0 ? -1 : parseFraction(line, i, f);
}

/** RFC 3164 `Mmm dd HH:MM:SS` (day space- or zero-padded). */
const bsd: DateParser = (line, p, f) => {
  const i = monthDayClock(line, p, f);
  if (i < 0) return -1;
  f.zone = Number.NaN;
  f.noYear = true;
  return i;
};

/** `parse`, or `parse` inside `[…]` (Apache error logs put their date in brackets). */
function orInBrackets(parse: DateParser): DateParser {
  return (line, p, f) => {
    if (line.charCodeAt(p) !== 91) return parse(line, p, f);
    const end = parse(line, p + 1, f);
    return end >= 0 && line.charCodeAt(end) === 93 ? end + 1 : -1;
  };
}

/**
 * ISO 8601 / RFC 5424 / rsyslog / lighttpd: `YYYY-MM-DD[T ]HH:MM:SS[.frac][zone][:]`; also in `[…]`
 * (Apache's `ErrorLogFormat "[%{cu}t] …"`).
 */
const iso: DateParser = orInBrackets((line, p, f) => {
  if (line.charCodeAt(p + 4) !== 45 || line.charCodeAt(p + 7) !== 45) return -1;
  const sep = line.charCodeAt(p + 10);
  if (sep !== 84 && sep !== 32) return -1;
  f.y = num(line, p, 4);
  f.mo = num(line, p + 5, 2) - 1;
  f.d = num(line, p + 8, 2);
  if (f.y < 0 || f.mo < 0 || f.d < 0) return -1;
  let i = parseClock(line, p + 11, f);
  if (i < 0) return -1;
  i = parseFraction(line, i, f);
  const z = parseZone(line, i, f);
  if (z >= 0) i = z;
  f.noYear = false;
  // lighttpd writes `2005-02-25 13:34:10: (mod_auth.c.828) …`
  if (z < 0 && line.charCodeAt(i) === 58 && (i + 1 === line.length || line.charCodeAt(i + 1) === 32)) i++;
  return i;
});

/** nginx's error log: `YYYY/MM/DD HH:MM:SS` (local time), also in `[…]`. */
const slashed: DateParser = orInBrackets((line, p, f) => {
  if (line.charCodeAt(p + 4) !== 47 || line.charCodeAt(p + 7) !== 47 || line.charCodeAt(p + 10) !== 32) return -1;
  f.y = num(line, p, 4);
  f.mo = num(line, p + 5, 2) - 1;
  f.d = num(line, p + 8, 2);
  if (f.y < 0 || f.mo < 0 || f.d < 0) return -1;
  const i = parseClock(line, p + 11, f);
  if (i < 0) return -1;
  f.ms = 0;
  f.zone = Number.NaN;
  f.noYear = false;
  return i;
});

/** ctime `Www Mmm dd HH:MM:SS[.frac] YYYY` (vsftpd), also in `[…]` (Apache error log). */
const ctime: DateParser = orInBrackets((line, p, f) => {
  if (name3(line, p, DAYS) < 0 || line.charCodeAt(p + 3) !== 32) return -1;
  let i = monthDayClock(line, p + 4, f);
  if (i < 0 || line.charCodeAt(i) !== 32) return -1;
  f.y = num(line, i + 1, 4);
  if (f.y < 0) return -1;
  i += 5;
  f.zone = Number.NaN;
  f.noYear = false;
  return i;
});

/** Fills the calendar fields from whole epoch seconds, in UTC (zone 0, year known). */
function utcFields(seconds: number, f: Fields): void {
  const d = new Date(seconds * 1000);
  f.y = d.getUTCFullYear();
  f.mo = d.getUTCMonth();
  f.d = d.getUTCDate();
  f.h = d.getUTCHours();
  f.mi = d.getUTCMinutes();
  f.s = d.getUTCSeconds();
  f.zone = 0;
  f.noYear = false;
}

/** Epoch seconds with optional fraction: `1108338850.123`. */
const epoch: DateParser = (line, p, f) => {
  let i = p;
  while (digit(line, i) >= 0 && i - p < 11) i++;
  if (i - p < 9 || i - p > 10) return -1;
  const seconds = Number(line.slice(p, i));
  i = parseFraction(line, i, f);
  const c = line.charCodeAt(i);
  if (i < line.length && c !== 32 && c !== 9) return -1;
  utcFields(seconds, f);
  return i;
};

/** TAI64N label `@4000000042a1b2c3…` (24 hex digits): seconds + nanoseconds. */
const tai64n: DateParser = (line, p, f) => {
  if (line.charCodeAt(p) !== 64 || line.length < p + 25) return -1;
  const hex = line.slice(p + 1, p + 25);
  for (let k = 0; k < 24; k++) {
    const c = hex.charCodeAt(k);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return -1;
  }
  const seconds = Number(BigInt(`0x${hex.slice(0, 16)}`) - TAI64_EPOCH);
  const nanos = Number.parseInt(hex.slice(16), 16);
  if (Math.abs(seconds) > 1e11 || nanos > 999_999_999) return -1;
  utcFields(seconds, f);
  f.ms = Math.floor(nanos / 1e6);
  return p + 25;
};

/** `bsd` stays at index 0: {@link DateDetector} tells RFC 3164 dates by that index. */
const PARSERS: readonly DateParser[] = [bsd, iso, ctime, epoch, tai64n, slashed];
