import { Fail2banDateTemplate, LINE_BEGIN, LINE_END, unboundPattern } from './fail2ban-date-template.js';

/**
 * fail2ban's date detection for one filter (a port of `fail2ban/server/datedetector.py`): which text of a
 * line is its date, and the time it says. Without a `datepattern` (or with `{DEFAULT}`) fail2ban's default
 * templates are tried, each first anchored at the line's start; `{^LN-BEG}` keeps only the anchored ones;
 * `{DATE}` stands for each default template at that place (`^<\d+>{DATE}`); `{NONE}` reads no date. A log
 * keeps its format, so the template that found the last date is tried first, and templates that find dates
 * move up the list — the same search, in the same order, as fail2ban, so the same text is taken for the date.
 */

const DEFAULT_PATTERNS = [
  '%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?',
  '(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  '(?:%a )?%b %d %ExY %k:%M:%S(?:\\.%f)?',
  '%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S',
  '%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\\.%f)?(?: %z)?',
  '%m/%d/%ExY:%H:%M:%S',
  '%m-%d-%ExY %k:%M:%S(?:\\.%f)?',
  'EPOCH',
  '{^LN-BEG}%H:%M:%S',
  '^<%m/%d/%Exy@%H:%M:%S>',
  '%Exy%Exm%Exd  ?%H:%M:%S',
  '%b %d, %ExY %I:%M:%S %p',
  '^%b-%d-%Exy %k:%M:%S',
  '%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\\s*%z)?',
  '(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  '(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\\.%f)?(?: %ExY)?',
  'TAI64N',
];

/** How far into a line dates are looked for. */
export const DATE_WINDOW = 1024;

interface Entry {
  readonly template: Fail2banDateTemplate;
  hits: number;
  lastUsed: number;
  distance: number;
}

/** A date found in a line: the span of its text and its time (ms; NaN when the fields make no date). */
export interface Fail2banDate {
  readonly start: number;
  readonly end: number;
  readonly time: number;
}

export class Fail2banDateDetector {
  /** `{NONE}`: the lines carry no date (fail2ban takes the time the line is read). */
  readonly none: boolean;
  private readonly templates: Entry[] = [];
  private readonly now: () => number;
  private lastPos: [number, string, string] = [1, '', ''];
  private lastEndPos: [number, string, string] = [0x7fffffff, '', ''];
  private lastIndex = 0x7fffffff;
  private firstUnused = 0;

  /** @param datepattern a filter's `datepattern` (one pattern per line); undefined: the default templates. */
  constructor(datepattern: string | undefined, now: () => number = Date.now) {
    this.now = now;
    const patterns = (datepattern ?? '{DEFAULT}').split(/\n+/).map((p) => p.trim()).filter(Boolean);
    this.none = patterns.length === 1 && patterns[0]!.toUpperCase() === '{NONE}';
    const names = new Set<string>();
    const add = (t: Fail2banDateTemplate, ignoreDup = false): void => {
      if (names.has(t.name)) {
        if (ignoreDup) return;
        throw new Error(`the date pattern ${t.name} is given twice`);
      }
      names.add(t.name);
      this.templates.push({ template: t, hits: 0, lastUsed: 0, distance: 0x7fffffff });
    };
    for (const p of patterns) {
      const key = p.includes('%') ? p : p.toUpperCase();
      const ignoreDup = this.templates.length > 0;
      if (key === '{^LN-BEG}' || key === '{DEFAULT}') {
        for (const t of defaultTemplates(true)) if (key === '{DEFAULT}' || t.flags & LINE_BEGIN) add(t, ignoreDup);
      } else if (/(?<!\\)\{DATE\}/i.test(key)) {
        for (const t of defaultTemplates(false)) {
          if (t.pattern === undefined) continue;
          const wrapped = p.replace(/(?<!\\)\{DATE\}/gi, () => unboundPattern(t.pattern!));
          add(Fail2banDateTemplate.fromPattern(wrapped), ignoreDup);
        }
      } else if (key !== '{NONE}') add(Fail2banDateTemplate.fromPattern(p));
    }
  }

  /** The date in `line`, or undefined when no template finds one (and always for `{NONE}`). */
  find(line: string): Fail2banDate | undefined {
    if (this.none) return undefined;
    // Dates are looked for in the first DATE_WINDOW characters: a log's date is near the start, and text
    // further in is message text (often attacker-written) that 17 unanchored templates would scan in vain.
    const found = this.matchTime(line.length > DATE_WINDOW ? line.slice(0, DATE_WINDOW) : line);
    if (found === undefined) return undefined;
    const [start, end] = found.template.span(found.match);
    // An empty date (`^WARNING:()**`, guacamole's) marks a line that takes the last line's date.
    return { start, end, time: start === end ? Number.NaN : found.template.time(found.match, this.now()) };
  }

  /** `DateDetector.matchTime`: the last template first, then the list; the winner moves up. */
  private matchTime(line: string): { match: RegExpExecArray; template: Fail2banDateTemplate } | undefined {
    const templates = this.templates;
    let match: RegExpExecArray | null = null;
    let found: [RegExpExecArray | null, number, number, number] = [null, 0x7fffffff, 0x7fffffff, -1];
    let ignoreBySearch = 0x7fffffff;
    let i = this.lastIndex;
    let entry: Entry | undefined;
    if (i < templates.length) {
      entry = templates[i]!;
      const t = entry.template;
      if (t.flags & (LINE_BEGIN | LINE_END)) {
        match = t.match(line);
        ignoreBySearch = i;
      } else {
        const [distance, before, first] = this.lastPos;
        const [endpos, last, after] = this.lastEndPos;
        if (
          (line.slice(distance - 1, distance) === before || (line.slice(distance, distance + 1) === first && !isAlnum(first))) &&
          (line.slice(endpos, endpos + 1) === after || (line.slice(endpos - 1, endpos) === last && !isAlnum(last)))
        ) {
          match = t.match(line, distance, endpos);
        } else {
          match = t.match(line);
          ignoreBySearch = i;
        }
      }
      if (match) {
        const distance = match.index;
        const endpos = distance + match[0].length;
        if (!(templates.length === 1 || t.flags & (LINE_BEGIN | LINE_END) || (distance === this.lastPos[0] && endpos === this.lastEndPos[0]))) {
          found = [match, distance, endpos, i];
          match = null;
        }
      }
    }
    if (!match) {
      for (i = 0; i < templates.length; i++) {
        if (i === ignoreBySearch) continue;
        entry = templates[i]!;
        const t = entry.template;
        match = t.match(line);
        if (!match) continue;
        const distance = match.index;
        if (i + 1 >= templates.length) break;
        if (t.flags & (LINE_BEGIN | LINE_END)) break;
        if (distance === 0 && entry.hits && !templates[i + 1]!.template.hits) break;
        if (distance > entry.distance || distance > this.lastPos[0]) {
          if (distance < found[1]) found = [match, distance, distance + match[0].length, i];
          match = null;
          continue;
        }
        break;
      }
      if (!match && found[0]) {
        match = found[0];
        i = found[3];
        entry = templates[i]!;
      }
    }
    if (!match || entry === undefined) return undefined;
    const distance = match.index;
    const endpos = distance + match[0].length;
    entry.hits++;
    entry.lastUsed = Date.now() / 1000;
    entry.distance = distance;
    if (this.firstUnused === i) this.firstUnused++;
    this.lastPos = [distance, line.slice(distance - 1, distance), line.charAt(distance)];
    this.lastEndPos = [endpos, line.charAt(endpos - 1), line.slice(endpos, endpos + 1)];
    if (i && i !== this.lastIndex) i = this.reorder(i);
    this.lastIndex = i;
    return { match, template: entry.template };
  }

  /** `DateDetector._reorderTemplate`: bubble a template that found a date up the list. */
  private reorder(num: number): number {
    const templates = this.templates;
    const entry = templates[num]!;
    const untime = entry.lastUsed - 300;
    const weight = weightOf(entry);
    let pos = this.firstUnused < num ? this.firstUnused : num >> 1;
    const movable = (): boolean => weight > weightOf(templates[pos]!) || untime > templates[pos]!.lastUsed;
    if (!movable()) {
      if (pos === num - 1) return num;
      pos = num - 1;
      if (!movable()) return num;
    }
    templates.splice(num, 1);
    templates.splice(pos, 0, entry);
    while (this.firstUnused < templates.length && templates[this.firstUnused]!.hits) this.firstUnused++;
    return pos;
  }
}

function weightOf(e: Entry): number {
  return (e.hits * e.template.weight) / Math.max(1, e.distance);
}

function isAlnum(c: string): boolean {
  return /^[\p{L}\p{N}]$/u.test(c);
}

/**
 * fail2ban's default templates: with `anchoredFirst`, a line-begin copy (weight 100) of each one not
 * anchored already comes first, then the templates themselves (the `{DEFAULT}` list); without, only the
 * templates themselves (what `{DATE}` stands for).
 */
function defaultTemplates(anchoredFirst: boolean): Fail2banDateTemplate[] {
  const plain = DEFAULT_PATTERNS.map((p) => Fail2banDateTemplate.fromPattern(p));
  if (!anchoredFirst) return plain;
  const anchored: Fail2banDateTemplate[] = [];
  for (const t of plain) {
    if (t.name.startsWith('{^LN-BEG}') || t.name.startsWith('^')) continue;
    const copy = Fail2banDateTemplate.fromPattern(`{^LN-BEG}${t.pattern ?? t.name}`);
    if (copy.name === t.name) continue;
    copy.weight = 100;
    anchored.push(copy);
  }
  return [...anchored, ...plain];
}
