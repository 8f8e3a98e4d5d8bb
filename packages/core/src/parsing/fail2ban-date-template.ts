import { pythonToJsRegex } from './python-regex.js';
import { timeFields, timeOfGroups } from './fail2ban-time.js';

/**
 * One of fail2ban's date templates (a port of `fail2ban/server/datetemplate.py`): a `datepattern` such as
 * `%d/%b/%ExY:%H:%M:%S` becomes a regex whose group 1 is the date text fail2ban cuts out of the line, with
 * fail2ban's boundaries — `(?=^|\b|\W)` before and `(?=\b|\W|$)` after the date, or `^(?:\W{0,2})?` before
 * it for `{^LN-BEG}` (at most two non-word characters, such as Apache's `[`, stay in the line); `**` at
 * either end and `{UNB}` drop the boundaries. `EPOCH`, `LEPOCH`, `{EPOCH}` and `TAI64N` are read too.
 */

export const LINE_BEGIN = 8;
export const LINE_END = 4;
const WORD_BEGIN = 2;
const WORD_END = 1;

const RE_GROUPED = /(?<!\(\?)(?<!\\)\((?!\?)/;
const RE_GLOBALFLAGS = /(?:^|(?!<\\))\(\?[a-z]+\)/;
const RE_NO_WRD_BOUND_BEG = /^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)/;
const RE_NO_WRD_BOUND_END = /(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$/;
const RE_LINE_BOUND_BEG = /^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))/;
const RE_LINE_BOUND_END = /(?<![\\|])(?:\$\)?)$/;
const RE_DEL_WRD_BOUNDS = /^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$/g;
const RE_ALPHA_PATTERN = /(?<!%)%[aAbBpc]/;
const RE_EPOCH_PATTERN = /(?<!\\)\{L?EPOCH\}/gi;
const FIELD = /%(%|ExZ|Exz|Exd|Exm|ExH|Exk|Exl|ExM|ExS|ExY|Exy|[dfHIGjmMSUwuVyYzAaBbpZWcxXkl])/g;

type WordBegin = boolean | 'start';

/** A compiled template: where the date is and what time it says. */
export class Fail2banDateTemplate {
  readonly name: string;
  /** The pattern it was built from (undefined for the built-in epoch and TAI64N templates). */
  readonly pattern: string | undefined;
  readonly flags: number;
  /** Preference when templates are reordered (100 for the line-begin copies of the defaults). */
  weight = 1;
  /** Dates this template found (fail2ban's template-level count, read when choosing between templates). */
  hits = 0;
  private readonly regex: RegExp;
  private readonly indexed: RegExp;
  /** The last date text read and its time: a log's lines share their second often. */
  private lastText = '';
  private lastTime = Number.NaN;
  private lastNow = Number.NaN;
  private readonly kind: 'fields' | 'epoch' | 'lepoch' | 'tai64n';
  private readonly group: number;

  private constructor(name: string, pattern: string | undefined, python: string, wordBegin: WordBegin, wordEnd: boolean, kind: Fail2banDateTemplate['kind'], group = 1) {
    const built = bound(python, wordBegin, wordEnd);
    this.name = wordBegin === 'start' && built.flags & LINE_BEGIN && !name.startsWith('{^LN-BEG}') ? `{^LN-BEG}${name}` : name;
    this.pattern = pattern;
    this.flags = built.flags;
    this.kind = kind;
    this.group = group;
    const source = pythonToJsRegex(built.regex);
    this.regex = new RegExp(source, 'g');
    // With indices (`d`), slower: only for a match whose date text also occurs in the text before it.
    this.indexed = new RegExp(source, 'dg');
  }

  /** A `datepattern` line (`{^LN-BEG}`/`{UNB}`/`^` prefixes, strftime fields, `EPOCH`, `TAI64N`). */
  static fromPattern(pattern: string): Fail2banDateTemplate {
    const key = pattern.includes('%') ? pattern : pattern.toUpperCase();
    if (key.includes('EPOCH')) {
      const long = key.includes('LEPOCH');
      const epoch = long ? '\\d{10,11}(?:\\d{3}(?:\\.\\d{1,6}|\\d{3})?)?' : '\\d{10,11}\\b(?:\\.\\d{3,6})?';
      if (new RegExp(RE_EPOCH_PATTERN.source, 'i').test(pattern)) {
        const regex = `(${pattern.replace(RE_EPOCH_PATTERN, () => `(${epoch})`)})`;
        return new Fail2banDateTemplate(pattern, pattern, regex, true, true, long ? 'lepoch' : 'epoch', 2);
      }
      const lineBegin = key !== 'EPOCH' && key !== 'LEPOCH';
      // fail2ban's conditional groups here (`(?(square)…)`) never reject a match (an empty branch always
      // passes), so the regex without them finds the same dates.
      const regex = lineBegin ? `((?:(?<=^\\[))?${epoch})` : `((?:^|(?<=^\\[)|(?<=\\baudit\\())${epoch})`;
      return new Fail2banDateTemplate(long ? 'LongEpoch' : 'Epoch', undefined, regex, lineBegin ? 'start' : false, true, long ? 'lepoch' : 'epoch');
    }
    if (key === 'TAI64N' || key === '{^LN-BEG}TAI64N' || key === '^TAI64N') {
      return new Fail2banDateTemplate('TAI64N', undefined, '@[0-9a-f]{24}', key === 'TAI64N' ? false : 'start', true, 'tai64n');
    }
    let p = pattern;
    let wordBegin: WordBegin = true;
    let wordEnd = true;
    if (p.startsWith('{UNB}')) {
      p = p.slice(5);
      wordBegin = wordEnd = false;
    }
    if (wordBegin && p.startsWith('{^LN-BEG}')) {
      p = p.slice(9);
      wordBegin = 'start';
    }
    const fields = timeFields();
    let regex = p.replace(FIELD, (_m, f: string) => fields[f]!);
    if (RE_ALPHA_PATTERN.test(p)) regex = `(?iu)${regex}`;
    return new Fail2banDateTemplate(pattern, pattern, regex, wordBegin, wordEnd, 'fields');
  }

  /** The first date in `line` from `pos`, searching `line[0, end)`, as fail2ban's `search(line, pos, endpos)`. */
  match(line: string, pos = 0, end = line.length): RegExpExecArray | null {
    const text = end < line.length ? line.slice(0, end) : line;
    this.regex.lastIndex = pos;
    const m = this.regex.exec(text);
    if (m !== null) this.hits++;
    return m;
  }

  /** Start and end of the date text (group 1) of a match. */
  span(m: RegExpExecArray): readonly [number, number] {
    const text = m[1] ?? '';
    const at = m[0].indexOf(text);
    if (text !== '' && m[0].indexOf(text, at + 1) >= 0) {
      this.indexed.lastIndex = m.index;
      const d = this.indexed.exec(m.input);
      const span = d?.indices?.[1];
      if (span !== undefined) return span;
    }
    return [m.index + at, m.index + at + text.length];
  }

  /** The time (ms) a match says; NaN when its fields make no date. */
  time(m: RegExpExecArray, now: number): number {
    if (this.kind === 'fields') {
      const text = m[0];
      // (A date without a year or day depends on `now`: cached only for the same clock reading's minute.)
      if (text === this.lastText && Math.floor(now / 60_000) === this.lastNow) return this.lastTime;
      this.lastText = text;
      this.lastNow = Math.floor(now / 60_000);
      this.lastTime = timeOfGroups(m.groups ?? {}, now);
      return this.lastTime;
    }
    const v = m[this.group] ?? '';
    // fail2ban reads the 15 hex digits after `@4` as the seconds.
    if (this.kind === 'tai64n') return Number.parseInt(v.slice(2, 17), 16) * 1000;
    let seconds = Number(v);
    if (this.kind === 'lepoch' && v.length >= 13) seconds = v.length >= 16 && !v.includes('.') ? seconds / 1e6 : seconds / 1000;
    return Math.round(seconds * 1000);
  }
}

/** `DateTemplate.setRegex`: adds the boundaries and the date group; returns the Python regex and the flags. */
function bound(source: string, wordBegin: WordBegin, wordEnd: boolean): { regex: string; flags: number } {
  let regex = source.trim();
  const gf = RE_GLOBALFLAGS.exec(regex);
  if (gf) regex = regex.replace(RE_GLOBALFLAGS, '');
  const boundBegin = wordBegin !== false && !RE_NO_WRD_BOUND_BEG.test(regex);
  const boundEnd = wordEnd && !RE_NO_WRD_BOUND_END.test(regex);
  if (!RE_GROUPED.test(regex)) regex = regex.replace(/^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)([\s\S]*?)(\$?)$/, '$1($2)$3');
  let flags = 0;
  if (boundBegin) {
    flags |= wordBegin === 'start' ? LINE_BEGIN : WORD_BEGIN;
    regex = (wordBegin === 'start' ? '^(?:\\W{0,2})?' : '(?=^|\\b|\\W)') + regex;
  }
  if (boundEnd) {
    flags |= WORD_END;
    regex += '(?=\\b|\\W|$)';
  }
  if (!(flags & LINE_BEGIN) && RE_LINE_BOUND_BEG.test(regex)) flags |= LINE_BEGIN;
  if (!(flags & LINE_END) && RE_LINE_BOUND_END.test(regex)) flags |= LINE_END;
  regex = regex.replace(RE_DEL_WRD_BOUNDS, (m) => m.replaceAll('**', ''));
  if (gf) regex = gf[0] + regex;
  return { regex, flags };
}

/** fail2ban's `unboundPattern`: a pattern without its `{UNB}`, `{^LN-BEG}` and word-boundary wrappers. */
export function unboundPattern(pattern: string): string {
  return pattern
    .replace(/^\{UNB\}/, '')
    .replace(/^\{\^LN-BEG\}/, '')
    .replace(/^\((?:\?:)?\^\|\\b\|\\W\)/, '')
    .replace(/\(\?=\\b\|\\W\|\$\)$/, '');
}
