import { pythonToJsRegex } from './python-regex.js';

/**
 * fail2ban's `datepattern` for one filter: strftime codes (`%Y %y %Exy %ExY %m %b %B %d %e %H %I %p %M %S
 * %f %z %Z %a %A`), `{^LN-BEG}` (at the line's start, after at most two non-word characters), `{NONE}` (no
 * date: the line's own time or now), `EPOCH`/`LEPOCH` (seconds/milliseconds) and `TAI64N`, around Python
 * regex text. `{DATE}` (fail2ban's list of default formats at a place) is read by the source's parser
 * instead, like `{^LN-BEG}` alone: see {@link Fail2banDatePattern.fromParser}.
 *
 * This is the filter's own date reader (fail2ban's `datepattern` per filter); the source's
 * {@link DateDetector} stays the reader for every other filter.
 */
export class Fail2banDatePattern {
  /** True when the source's parser already reads this pattern's dates (`{^LN-BEG}`, `{DATE}`). */
  readonly fromParser: boolean;
  /** `{NONE}`: lines carry no date. */
  readonly none: boolean;
  private readonly regex: RegExp | undefined;
  /**
   * For `{^LN-BEG}` alone: fail2ban's default `YYYY/MM/DD HH:MM:SS` (also `-` and `.` between the parts),
   * which the source's parser does not read; used for lines where the parser found no date.
   */
  readonly fallback: Fail2banDatePattern | undefined;
  private readonly fields: readonly string[];
  private readonly now: () => number;

  constructor(pattern: string, now: () => number = Date.now) {
    this.now = now;
    let p = pattern.trim();
    this.none = p === '{NONE}';
    const bare = p.replace('{^LN-BEG}', '').trim();
    this.fromParser = !this.none && (bare === '' || p.includes('{DATE}'));
    this.fields = [];
    this.fallback = this.fromParser && !p.includes('{DATE}') ? new Fail2banDatePattern('{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?', now) : undefined;
    if (this.none || this.fromParser) return;
    const fields: string[] = [];
    p = p.replace('{^LN-BEG}', '(?:^|(?<=^\\W)|(?<=^\\W\\W))');
    const special: Record<string, string> = {
      EPOCH: '(?<f_epoch>\\d{10}(?:\\.\\d{1,6})?)',
      LEPOCH: '(?<f_lepoch>\\d{13})',
      TAI64N: '@(?<f_tai>[0-9a-fA-F]{24})',
    };
    p = p.replace(/\{?\b(L?EPOCH|Epoch|TAI64N)\b\}?/g, (_m, k: string) => {
      const key = k.toUpperCase();
      fields.push(key === 'LEPOCH' ? 'lepoch' : key === 'TAI64N' ? 'tai' : 'epoch');
      return special[key]!;
    });
    const codes: Record<string, [string, string]> = {
      Y: ['year', '\\d{4}'],
      ExY: ['year', '\\d{4}'],
      y: ['year2', '\\d{2}'],
      Exy: ['year2', '\\d{2}'],
      m: ['month', '1[0-2]|0?[1-9]'],
      d: ['day', '3[01]|[12]\\d|0?[1-9]'],
      e: ['day', '3[01]|[12]\\d| ?[1-9]'],
      H: ['hour', '2[0-3]|[01]?\\d'],
      I: ['hour12', '1[0-2]|0?[1-9]'],
      M: ['minute', '[0-5]?\\d'],
      S: ['second', '6[01]|[0-5]?\\d'],
      f: ['micro', '\\d{1,6}'],
      p: ['ampm', '[AaPp][Mm]'],
      b: ['mon', '[A-Za-z]{3}'],
      B: ['mon', '[A-Za-z]{3,9}'],
      a: ['', '[A-Za-z]{3}'],
      A: ['', '[A-Za-z]{6,9}'],
      z: ['zone', 'Z|[+-]\\d{2}(?::?\\d{2})?'],
      Z: ['', '[A-Z]{3,5}'],
    };
    p = p.replace(/%(ExY|Exy|[A-Za-z%])/g, (m, code: string) => {
      if (code === '%') return '%';
      const c = codes[code];
      if (c === undefined) return m;
      if (c[0] === '') return `(?:${c[1]})`;
      if (fields.includes(c[0])) return `(?:${c[1]})`;
      fields.push(c[0]);
      return `(?<f_${c[0]}>${c[1]})`;
    });
    this.fields = fields;
    // The strftime groups are JavaScript already; the text around them is Python.
    this.regex = new RegExp(pythonToJsRegex(p));
  }

  /** The date in `raw`: its span and time (ms), or undefined when the line has none. */
  read(raw: string): { start: number; end: number; time: number } | undefined {
    const m = this.regex?.exec(raw);
    if (m === null || m === undefined) return undefined;
    const g = m.groups ?? {};
    let time: number;
    if (g.f_epoch !== undefined) time = Math.round(Number(g.f_epoch) * 1000);
    else if (g.f_lepoch !== undefined) time = Number(g.f_lepoch);
    else if (g.f_tai !== undefined) time = Number(BigInt(`0x${g.f_tai.slice(0, 16)}`) - 0x400000000000000an) * 1000 - 10_000 + Math.floor(Number.parseInt(g.f_tai.slice(16), 16) / 1e6);
    else time = this.calendarTime(g);
    return { start: m.index, end: m.index + m[0].length, time };
  }

  private calendarTime(g: Record<string, string | undefined>): number {
    const now = new Date(this.now());
    const month = g.f_month !== undefined ? Number(g.f_month) - 1 : g.f_mon !== undefined ? monthIndex(g.f_mon) : now.getMonth();
    const day = g.f_day !== undefined ? Number(g.f_day.trim()) : now.getDate();
    let hour = Number(g.f_hour ?? g.f_hour12 ?? 0);
    if (g.f_ampm !== undefined) hour = (hour % 12) + (/p/i.test(g.f_ampm) ? 12 : 0);
    const min = Number(g.f_minute ?? 0);
    const sec = Number(g.f_second ?? 0);
    const ms = g.f_micro !== undefined ? Math.floor(Number(`0.${g.f_micro}`) * 1000) : 0;
    const explicitYear = g.f_year !== undefined ? Number(g.f_year) : g.f_year2 !== undefined ? 2000 + Number(g.f_year2) : undefined;
    const build = (year: number): number => {
      if (g.f_zone !== undefined) {
        const z = g.f_zone;
        const offset = z === 'Z' ? 0 : (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(-2) === z.slice(1, 3) && z.length === 3 ? 0 : z.slice(-2)));
        return Date.UTC(year, month, day, hour, min, sec, ms) - offset * 60_000;
      }
      return new Date(year, month, day, hour, min, sec, ms).getTime();
    };
    if (explicitYear !== undefined) return build(explicitYear);
    // No year in the line: this year, unless that is more than a day ahead (then the line is from last year).
    const t = build(now.getFullYear());
    return t > this.now() + 86_400_000 ? build(now.getFullYear() - 1) : t;
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthIndex(name: string): number {
  const i = MONTHS.indexOf(name.slice(0, 3).toLowerCase());
  return i < 0 ? Number.NaN : i;
}
