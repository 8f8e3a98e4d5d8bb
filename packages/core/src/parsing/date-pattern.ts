import type { DetectedDate } from './date-detector.js';

/** Finds the date of a line: the default {@link DateDetector} or a jail's {@link DatePattern}. */
export interface DateFinder {
  /** The date of `line`, or undefined; the result may be reused by the next call. */
  detect(line: string): DetectedDate | undefined;
}

/** What one strftime code matches and which field it fills. */
interface Code {
  readonly re: string;
  readonly field: Field;
}

type Field = 'Y' | 'y' | 'm' | 'd' | 'H' | 'I' | 'M' | 'S' | 'f' | 'p' | 'b' | 'z' | 'Z' | 's' | 'skip';

const CODES: Readonly<Record<string, Code>> = {
  Y: { re: '(\\d{4})', field: 'Y' },
  y: { re: '(\\d{2})', field: 'y' },
  m: { re: '(\\d{1,2})', field: 'm' },
  d: { re: '(\\d{1,2})', field: 'd' },
  e: { re: ' ?(\\d{1,2})', field: 'd' },
  H: { re: '(\\d{1,2})', field: 'H' },
  k: { re: ' ?(\\d{1,2})', field: 'H' },
  I: { re: '(\\d{1,2})', field: 'I' },
  l: { re: ' ?(\\d{1,2})', field: 'I' },
  M: { re: '(\\d{1,2})', field: 'M' },
  S: { re: '(\\d{1,2})', field: 'S' },
  f: { re: '(\\d{1,9})', field: 'f' },
  p: { re: '([AaPp][Mm])', field: 'p' },
  b: { re: '([A-Za-z]{3})', field: 'b' },
  h: { re: '([A-Za-z]{3})', field: 'b' },
  B: { re: '([A-Za-z]{3,9})', field: 'b' },
  a: { re: '(?:[A-Za-z]{3})', field: 'skip' },
  A: { re: '(?:[A-Za-z]{6,9})', field: 'skip' },
  z: { re: '(Z|[+-]\\d{2}(?::?\\d{2})?)', field: 'z' },
  Z: { re: '([A-Za-z]{1,5})', field: 'Z' },
  s: { re: '(\\d{9,11})', field: 's' },
};
/** Codes that stand for others (fail2ban's `%Exy`/`%ExY` are its two- and four-digit years). */
const ALIASES: Readonly<Record<string, string>> = { T: '%H:%M:%S', Exy: '%y', ExY: '%Y' };
/** Codes a date needs at least one of, or it says nothing about time. */
const TIME_CODES = new Set<Field>(['Y', 'y', 'm', 'd', 'b', 'H', 'I', 'M', 'S', 's']);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** Regex characters the pattern text may not use unescaped: its text is literal, not a regex. */
const REGEX_CHARS = '()[]{}*+?|$';
const SKEW_MS = 60_000;
const DAY_MS = 86_400_000;
const TAI64_EPOCH = 2n ** 62n + 10n;

/** An invalid datepattern; the message says what is wrong (the config loader adds the path). */
export class DatePatternError extends Error {}

/**
 * A jail's or filter's `datepattern`, in fail2ban's syntax:
 * - strftime codes (`%Y-%m-%d %H:%M:%S`, `%b %d %H:%M:%S`, `%d/%b/%Y:%H:%M:%S %z`; codes `%Y %y %m %d %e %H %k
 *   %I %l %M %S %f %p %b %h %B %a %A %z %Z %s %T %%`, `%-d` style flags, fail2ban's `%Exy %ExY`) in literal text
 *   (`\` escapes a character; `\s` is a blank). The date is searched anywhere in the line; `{^LN-BEG}` (or `^`)
 *   anchors it at the line start (`{^LN-BEG}` allows up to two non-word characters before it, like `[`).
 * - `{NONE}`: lines carry no date; each counts at its arrival time.
 * - `EPOCH`: epoch seconds (with a fraction) at the start of the line, also in `[…]`.
 * - `TAI64N`: a TAI64N label `@4000…` at the start of the line.
 * A date without a year gets the latest year that does not put it in the future; without a day, today's.
 * Times without `%z` are local; `%Z` knows UTC, GMT and Z. Text is matched by one bounded regex: linear in the line.
 */
export class DatePattern implements DateFinder {
  private readonly kind: 'none' | 'epoch' | 'tai64n' | 'codes';
  private readonly regex: RegExp | undefined;
  private readonly fields: Field[] = [];
  /** 1 when group 1 is the text allowed before an anchored date (`{^LN-BEG}`), else 0. */
  private lead = 0;
  private readonly now: () => number;
  private readonly result: DetectedDate = { time: 0, start: 0, end: 0, rfc3164: false };

  /** @throws DatePatternError when `pattern` is not a valid datepattern. */
  constructor(
    readonly pattern: string,
    options?: { now?: (() => number) | undefined },
  ) {
    this.now = options?.now ?? Date.now;
    let rest = pattern;
    let anchor = '';
    if (rest.startsWith('{^LN-BEG}')) {
      rest = rest.slice('{^LN-BEG}'.length);
      anchor = '^((?:<\\d{1,3}>)?\\W{0,2}?)';
      this.lead = 1;
    } else if (rest.startsWith('^')) {
      rest = rest.slice(1);
      anchor = '^';
    }
    if (rest === '{NONE}' && !anchor) {
      this.kind = 'none';
    } else if (/^epoch$/i.test(rest)) {
      this.kind = 'epoch';
      this.lead = 0;
      this.regex = /^(\[?)(\d{9,11})(?:\.(\d{1,9}))?(\]?)(?=\s|$)/;
    } else if (/^tai64n$/i.test(rest)) {
      this.kind = 'tai64n';
      this.lead = 0;
      this.regex = /^@([0-9a-fA-F]{16})([0-9a-fA-F]{8})/;
    } else {
      this.kind = 'codes';
      this.regex = new RegExp(anchor + this.translate(rest));
    }
  }

  detect(line: string): DetectedDate | undefined {
    if (this.kind === 'none') return this.found(this.now(), 0, 0);
    const m = this.regex!.exec(line);
    if (!m) return undefined;
    const start = m.index + (this.kind === 'epoch' || this.lead ? m[1]!.length : 0);
    const end = m.index + m[0].length - (this.kind === 'epoch' ? m[4]!.length : 0);
    let time: number;
    if (this.kind === 'epoch') time = Number(m[2]) * 1000 + fraction(m[3]);
    else if (this.kind === 'tai64n') {
      const nanos = Number.parseInt(m[2]!, 16);
      if (nanos > 999_999_999) return undefined;
      time = Number(BigInt(`0x${m[1]}`) - TAI64_EPOCH) * 1000 + Math.floor(nanos / 1e6);
    } else time = this.timeOf(m);
    if (!Number.isFinite(time)) return undefined;
    // A date in brackets of its own goes with them: `[2026/12/07 09:20:00] msg` leaves `msg`.
    if (start > 0 && line.charCodeAt(start - 1) === 91 && line.charCodeAt(end) === 93) return this.found(time, start - 1, end + 1);
    return this.found(time, start, end);
  }

  private found(time: number, start: number, end: number): DetectedDate {
    const r = this.result;
    r.time = time;
    r.start = start;
    r.end = end;
    return r;
  }

  /** The pattern's text as a regex source: codes become bounded groups, everything else literal. */
  private translate(text: string): string {
    let out = '';
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\\') {
        const next = text[i + 1];
        if (next === undefined) throw new DatePatternError('ends with a lone "\\"');
        out += next === 's' ? '\\s' : literal(next);
        i++;
      } else if (c === '%') {
        const flag = text[i + 1] === '-' ? 1 : 0;
        const alias = Object.keys(ALIASES).find((a) => text.startsWith(a, i + 1 + flag));
        if (alias) {
          out += this.translate(ALIASES[alias]!);
          i += flag + alias.length;
          continue;
        }
        const name = text[i + 1 + flag];
        if (name === '%' && !flag) {
          out += '%';
          i++;
          continue;
        }
        const code = name === undefined ? undefined : CODES[name];
        if (!code) throw new DatePatternError(name === undefined ? 'ends with a lone "%"' : `unknown date code %${flag ? '-' : ''}${name} (known: %Y %y %m %d %e %H %k %I %l %M %S %f %p %b %B %a %A %z %Z %s %T %%)`);
        out += code.re;
        if (code.field !== 'skip') this.fields.push(code.field);
        i += 1 + flag;
      } else if (REGEX_CHARS.includes(c)) {
        throw new DatePatternError(`"${c}" is regex syntax: a datepattern is literal text and %-codes (write \\${c} for the character itself)`);
      } else {
        out += literal(c);
      }
    }
    if (!this.fields.some((f) => TIME_CODES.has(f))) throw new DatePatternError(`"${text}" has no date or time code (such as %Y-%m-%d %H:%M:%S)`);
    return out;
  }

  /** The time of a match: fields in order of the codes; missing ones inferred. */
  private timeOf(m: RegExpExecArray): number {
    let y = -1;
    let mo = -1;
    let d = -1;
    let h = 0;
    let mi = 0;
    let s = 0;
    let ms = 0;
    let pm = -1;
    let zone = Number.NaN;
    for (let k = 0; k < this.fields.length; k++) {
      const v = m[k + 1 + this.lead]!;
      switch (this.fields[k]) {
        case 'Y': y = Number(v); break;
        case 'y': y = 2000 + Number(v); break;
        case 'm': mo = Number(v) - 1; break;
        case 'd': d = Number(v); break;
        case 'H': h = Number(v); break;
        case 'I': h = Number(v) % 12; if (Number(v) > 12 || Number(v) === 0) return Number.NaN; break;
        case 'M': mi = Number(v); break;
        case 'S': s = Math.min(Number(v), 59); if (Number(v) > 60) return Number.NaN; break;
        case 'f': ms = fraction(v); break;
        case 'p': pm = (v.charCodeAt(0) | 32) === 112 ? 1 : 0; break;
        case 'b': mo = MONTHS.indexOf(v.slice(0, 3).toLowerCase()); if (mo < 0) return Number.NaN; break;
        case 'z': zone = zoneMinutes(v); break;
        case 'Z': zone = /^(?:utc|gmt|z)$/i.test(v) ? 0 : Number.NaN; break;
        case 's': return Number(v) * 1000 + ms;
      }
    }
    if (pm === 1) h += 12;
    if (mo > 11 || d > 31 || h > 23 || mi > 59) return Number.NaN;
    const now = this.now();
    const today = new Date(now);
    const at = (year: number, month: number, day: number): number => {
      if (day > daysIn(year, month)) return Number.NaN;
      return Number.isNaN(zone)
        ? new Date(year, month, day, h, mi, s, ms).getTime()
        : Date.UTC(year, month, day, h, mi, s, ms) - zone * 60_000;
    };
    if (mo < 0 && d < 0) {
      // A clock only: today, or yesterday when that is still to come.
      const t = at(today.getFullYear(), today.getMonth(), today.getDate());
      return t > now + SKEW_MS ? t - DAY_MS : t;
    }
    if (mo < 0) mo = today.getMonth();
    if (d < 0) d = 1;
    if (y >= 0) return at(y, mo, d);
    // No year: the latest that does not put the date in the future (Feb 29 looks back for a leap year).
    for (let year = today.getFullYear(), tries = 0; tries < 9; tries++, year--) {
      const t = at(year, mo, d);
      if (!Number.isNaN(t) && t <= now + SKEW_MS) return t;
    }
    return Number.NaN;
  }
}

/** Compile `pattern`, or return what is wrong with it. */
export function checkDatePattern(pattern: string): string | undefined {
  try {
    new DatePattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof DatePatternError) return error.message;
    return `invalid: ${(error as Error).message}`;
  }
}

function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

/** Milliseconds of a fraction's digits (`123456` → 123). */
function fraction(digits: string | undefined): number {
  return digits ? Math.floor(Number(`0.${digits}`) * 1000) : 0;
}

function zoneMinutes(v: string): number {
  if (v === 'Z') return 0;
  const digits = v.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0);
  return v[0] === '-' ? -minutes : minutes;
}

function daysIn(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo + 1, 0)).getUTCDate();
}
