/**
 * Python `re` syntax → JavaScript `RegExp` source, for the regexes of fail2ban's filter.d files.
 *
 * Translated: `(?P<name>…)` → `(?<name>…)`, `(?P=name)` → `\k<name>`, `\Z` → `$`, `\A` → `^`, `{,n}` →
 * `{0,n}`, `(?#…)` comments dropped, a class opening with `]` (`[]x]`, `[^]x]`), and the inline flags `i`
 * (letters become `[aA]`, class ranges gain the other case), `s` (`.` → `[\s\S]`) and `x` (blanks and
 * `#` comments dropped), globally (`(?i)…`) or scoped (`(?i:…)`, `(?-i:…)`); `a`, `u`, `L`, `m` change
 * nothing on the single lines filters see. JavaScript RegExps carry no inline flags, so folding the case
 * into the pattern is what keeps `(?i)` scoped exactly as Python scopes it.
 *
 * Refused ({@link PythonRegexError}): conditional groups `(?(…)…)`, atomic groups `(?>…)` and possessive
 * quantifiers — JavaScript cannot run them, and dropping them would match differently.
 */

/** A construct JavaScript cannot run; `construct` is the text it starts with. */
export class PythonRegexError extends Error {
  readonly construct: string;
  readonly offset: number;
  constructor(construct: string, offset: number, reason: string) {
    super(`${reason}: \`${construct}\``);
    this.name = 'PythonRegexError';
    this.construct = construct;
    this.offset = offset;
  }
}

interface Flags {
  i: boolean;
  s: boolean;
  x: boolean;
}

/** Translates one Python pattern; throws {@link PythonRegexError} for what JavaScript lacks. */
export function pythonToJsRegex(source: string): string {
  const out: string[] = [];
  // One entry per open group: the flags to restore when it closes.
  const stack: Flags[] = [];
  let flags: Flags = { i: false, s: false, x: false };
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined) throw new PythonRegexError('\\', i, 'a pattern cannot end with a backslash');
      if (next === 'Z') out.push('$');
      else if (next === 'A') out.push('^');
      else if (flags.i && /[A-Za-z]/.test(next) && !/[dDwWsSbBntrfvxu0-9]/.test(next)) out.push(foldChar(next));
      else if (next === 'x' || next === 'u') {
        const len = next === 'x' ? 2 : 4;
        out.push(source.slice(i, i + 2 + len));
        i += 2 + len;
        continue;
      } else out.push(`\\${next}`);
      i += 2;
      continue;
    }
    if (c === '[') {
      const end = classEnd(source, i);
      out.push(translateClass(source.slice(i, end), flags.i));
      i = end;
      continue;
    }
    if (c === '(') {
      if (source[i + 1] !== '?') {
        stack.push({ ...flags });
        out.push('(');
        i++;
        continue;
      }
      const rest = source.slice(i + 2, i + 40);
      const named = /^P?<([A-Za-z_]\w*)>/.exec(rest);
      if (named) {
        // The name is copied as it is: `(?i)` folds letters of the pattern, not of group names.
        stack.push({ ...flags });
        out.push(`(?<${named[1]}>`);
        i += 2 + named[0].length;
        continue;
      }
      if (rest.startsWith('P=')) {
        const close = source.indexOf(')', i);
        out.push(`\\k<${source.slice(i + 4, close)}>`);
        i = close + 1;
        continue;
      }
      if (rest.startsWith('#')) {
        const close = source.indexOf(')', i);
        i = close < 0 ? n : close + 1;
        continue;
      }
      if (rest.startsWith('(')) throw new PythonRegexError(source.slice(i, source.indexOf(')', i) + 1), i, 'JavaScript has no conditional groups');
      if (rest.startsWith('>')) throw new PythonRegexError('(?>', i, 'JavaScript has no atomic groups');
      const flagMatch = /^([aiLmsux]*)(?:-([imsx]+))?([:)])/.exec(rest);
      if (flagMatch && (flagMatch[1] || flagMatch[2])) {
        const next = { ...flags };
        for (const f of flagMatch[1]!) if (f === 'i' || f === 's' || f === 'x') next[f] = true;
        for (const f of flagMatch[2] ?? '') if (f === 'i' || f === 's' || f === 'x') next[f] = false;
        i += 2 + flagMatch[0].length;
        if (flagMatch[3] === ':') {
          stack.push({ ...flags });
          out.push('(?:');
        }
        // `(?i)` holds to the end of the enclosing group (fail2ban turns `((?i)x)` into `(?i:x)`).
        flags = next;
        continue;
      }
      // (?: (?= (?! (?<= (?<! (?<name> pass through.
      stack.push({ ...flags });
      out.push('(');
      i++;
      continue;
    }
    if (c === ')') {
      flags = stack.pop() ?? flags;
      out.push(')');
      i++;
      continue;
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && source[i + 1] === '+') {
      throw new PythonRegexError(`${c}+`, i, 'JavaScript has no possessive quantifiers');
    }
    if (c === '{') {
      const q = /^\{(\d*),(\d+)\}/.exec(source.slice(i));
      if (q && q[1] === '') {
        out.push(`{0,${q[2]}}`);
        i += q[0].length;
        continue;
      }
    }
    if (flags.x && /\s/.test(c)) {
      i++;
      continue;
    }
    if (flags.x && c === '#') {
      const nl = source.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
      continue;
    }
    if (c === '.' && flags.s) out.push('[\\s\\S]');
    else if (flags.i && /[A-Za-z]/.test(c)) out.push(foldChar(c));
    else out.push(c);
    i++;
  }
  return out.join('');
}

/** Index after the class that opens at `start` (Python: a `]` right after `[` or `[^` is literal). */
function classEnd(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === '^') i++;
  if (source[i] === ']') i++;
  for (; i < source.length; i++) {
    if (source[i] === '\\') i++;
    else if (source[i] === ']') return i + 1;
  }
  throw new PythonRegexError(source.slice(start, start + 20), start, 'unterminated character class');
}

function translateClass(cls: string, fold: boolean): string {
  let body = cls.slice(1, -1);
  let negate = '';
  if (body.startsWith('^')) {
    negate = '^';
    body = body.slice(1);
  }
  if (body.startsWith(']')) body = `\\]${body.slice(1)}`;
  // A `[` inside a class is literal in both languages; escape it anyway for readers.
  if (!fold) return `[${negate}${body}]`;
  const extra: string[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') {
      i++;
      continue;
    }
    const a = body[i]!;
    if (body[i + 1] === '-' && i + 2 < body.length && body[i + 2] !== '\\') {
      const b = body[i + 2]!;
      if (/[a-z]/.test(a) && /[a-z]/.test(b)) extra.push(`${a.toUpperCase()}-${b.toUpperCase()}`);
      else if (/[A-Z]/.test(a) && /[A-Z]/.test(b)) extra.push(`${a.toLowerCase()}-${b.toLowerCase()}`);
      i += 2;
      continue;
    }
    if (/[a-z]/.test(a)) extra.push(a.toUpperCase());
    else if (/[A-Z]/.test(a)) extra.push(a.toLowerCase());
  }
  return `[${negate}${body}${extra.join('')}]`;
}

function foldChar(c: string): string {
  const lower = c.toLowerCase();
  const upper = c.toUpperCase();
  return lower === upper ? c : `[${lower}${upper}]`;
}
