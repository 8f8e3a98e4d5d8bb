/**
 * Literal pre-checks derived from a failregex: text that every match must contain, so `includes` (or
 * `startsWith`) can reject a line before the regex runs. Only top-level text outside groups, classes and
 * alternatives counts, and a character followed by `?`, `*` or `{0,…}` is dropped: the result is certainly
 * mandatory, or absent.
 */
export interface DerivedLiterals {
  /** Every mandatory literal run of ≥ 2 characters, in pattern order. */
  readonly runs: readonly string[];
  /** True when the pattern has a `|` outside every group (then nothing above is derived). */
  readonly alternation: boolean;
}

const META = new Set(['.', '(', ')', '[', ']', '{', '}', '|', '?', '*', '+', '^', '$', '\\']);
/** Escapes that stand for one literal character. */
const ESCAPED: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', '/': '/', '-': '-' };

/** Derives the literal pre-checks of a pattern whose tags are already replaced by groups. */
export function deriveLiterals(source: string): DerivedLiterals {
  const runs: string[] = [];
  let run = '';
  let depth = 0;
  let i = source.startsWith('^') ? 1 : 0;
  let topAlternation = false;
  const endRun = (): void => {
    if (run.length > 0) runs.push(run);
    run = '';
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const e = source[i + 1] ?? '';
      const lit = ESCAPED[e] ?? (META.has(e) || /[^A-Za-z0-9]/.test(e) ? e : undefined);
      if (depth === 0 && lit !== undefined && e !== '') {
        i += 2;
        i = addChar(lit, source, i);
      } else {
        if (depth === 0) endRun();
        i += 2;
        // \u{…}, \x41, \k<name>, \p{…}: skip their arguments conservatively.
        if (source[i] === '{' || source[i] === '<') i = Math.max(i, source.indexOf(source[i] === '{' ? '}' : '>', i) + 1);
      }
      continue;
    }
    if (c === '[') {
      if (depth === 0) endRun();
      i = skipClass(source, i);
      if (depth === 0) i = skipQuantifier(source, i);
      continue;
    }
    if (c === '(') {
      if (depth === 0) endRun();
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth = Math.max(0, depth - 1);
      i++;
      if (depth === 0) i = skipQuantifier(source, i);
      continue;
    }
    if (depth > 0) {
      i++;
      continue;
    }
    if (c === '|') {
      topAlternation = true;
      break;
    }
    if (META.has(c)) {
      endRun();
      i++;
      i = skipQuantifier(source, i);
      continue;
    }
    i = addChar(c, source, i + 1);
  }
  if (topAlternation) return { runs: [], alternation: true };
  endRun();
  return { runs: runs.filter((r) => r.length >= 2), alternation: false };

  /** Adds a literal character that ended at `next`, honouring a quantifier after it. */
  function addChar(ch: string, src: string, next: number): number {
    const q = src[next];
    if (q === '?' || q === '*' || (q === '{' && src[next + 1] === '0' && (src[next + 2] === ',' || src[next + 2] === '}'))) {
      endRun();
      return skipQuantifier(src, next);
    }
    run += ch;
    if (q === '+' || q === '{') {
      endRun();
      return skipQuantifier(src, next);
    }
    return next;
  }
}

function skipClass(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}

function skipQuantifier(source: string, i: number): number {
  const q = source[i];
  let j = i;
  if (q === '?' || q === '*' || q === '+') j++;
  else if (q === '{') {
    const close = source.indexOf('}', i);
    if (close !== -1 && /^\{\d*,?\d*\}$/.test(source.slice(i, close + 1))) j = close + 1;
  }
  if (j > i && source[j] === '?') j++;
  return j;
}
