/**
 * What a pattern's start looks like, read from its source: the characters a non-empty match can begin
 * with, and the literal texts every match starts with. The engine uses them to skip a regex before it
 * runs — a table look-up on the first character of a message and a `startsWith` are far cheaper than a
 * failing `exec`. Anything this reader does not understand yields "unknown", which only costs speed.
 */

/** A set of first characters: `ascii[c]` for c < 128; `other` stands for every character ≥ 128. */
export interface CharSet {
  readonly ascii: Uint8Array;
  other: boolean;
}

type Node =
  | { readonly t: 'char'; readonly c: string }
  | { readonly t: 'set'; readonly set: CharSet }
  | { readonly t: 'seq'; readonly items: Node[] }
  | { readonly t: 'alt'; readonly options: Node[] }
  | { readonly t: 'group'; readonly body: Node; readonly look: boolean }
  | { readonly t: 'repeat'; readonly body: Node; readonly min: number; readonly max: number }
  | { readonly t: 'start' }
  | { readonly t: 'zero' }
  | { readonly t: 'unknown' };

/** Most alternative prefixes kept for one rule: beyond that a rule is cheaper to run than to pre-check. */
const MAX_PREFIXES = 16;

/**
 * The characters a non-empty match of `source` (run sticky, at the start of a text) can begin with;
 * undefined when unknown. A text whose first character is outside the set can only match empty.
 */
export function leadingChars(source: string): CharSet | undefined {
  const node = parse(source);
  if (node === undefined) return undefined;
  const { set } = first(node);
  return set;
}

/**
 * For a pattern anchored with `^` (every top-level alternative), the literal texts one of which every
 * match starts with (each at least one character); undefined when there are none or the pattern is not
 * anchored. `topLevelBar`: whether the source has a `|` outside every group, when the caller knows.
 */
export function literalPrefixes(source: string, topLevelBar = hasTopLevelBar(source)): string[] | undefined {
  // Only the head matters: reading stops at the first top-level item that is not all literal, so the big
  // address alternations further on are never parsed (unless a top-level `|` needs the whole pattern).
  const node = topLevelBar ? parse(source) : parse(source, (item) => !prefixes(item).complete);
  if (node === undefined || !anchored(node)) return undefined;
  const { strings } = prefixes(node);
  if (strings.length === 0 || strings.some((s) => s.length === 0)) return undefined;
  // `startsWith` of a longer alternative is implied by a shorter one it extends.
  const unique = [...new Set(strings)].sort((a, b) => a.length - b.length);
  return unique.filter((s, i) => !unique.slice(0, i).some((shorter) => s.startsWith(shorter)));
}

/** True when `set` holds the character code `c`. */
export function hasChar(set: CharSet, c: number): boolean {
  return c < 128 ? set.ascii[c] === 1 : set.other;
}

function anchored(node: Node): boolean {
  if (node.t === 'alt') return node.options.every(anchored);
  if (node.t === 'group' && !node.look) return anchored(node.body);
  if (node.t === 'seq') {
    for (const item of node.items) {
      if (item.t === 'start') return true;
      if (item.t === 'zero' || (item.t === 'group' && item.look)) continue;
      return anchored(item);
    }
  }
  return node.t === 'start';
}

function emptySet(): CharSet {
  return { ascii: new Uint8Array(128), other: false };
}

/** Every character: shared, never changed (sets are only ever read or copied into new ones). */
const ANY: CharSet = { ascii: new Uint8Array(128).fill(1), other: true };

function anySet(): CharSet {
  return ANY;
}

function union(into: CharSet, from: CharSet): void {
  for (let c = 0; c < 128; c++) if (from.ascii[c]) into.ascii[c] = 1;
  if (from.other) into.other = true;
}

function first(node: Node): { set: CharSet | undefined; nullable: boolean } {
  switch (node.t) {
    case 'char': {
      const set = emptySet();
      const c = node.c.charCodeAt(0);
      if (c < 128) set.ascii[c] = 1;
      else set.other = true;
      return { set, nullable: false };
    }
    case 'set':
      return { set: node.set, nullable: false };
    case 'start':
    case 'zero':
      return { set: emptySet(), nullable: true };
    case 'unknown':
      return { set: undefined, nullable: true };
    case 'group':
      return node.look ? { set: emptySet(), nullable: true } : first(node.body);
    case 'repeat': {
      const inner = first(node.body);
      return { set: inner.set, nullable: node.min === 0 || inner.nullable };
    }
    case 'alt':
    case 'seq': {
      const set = emptySet();
      const parts = node.t === 'alt' ? node.options : node.items;
      let nullable = node.t === 'seq';
      for (const part of parts) {
        const f = first(part);
        if (f.set === undefined) return { set: undefined, nullable: true };
        union(set, f.set);
        if (node.t === 'alt') {
          nullable ||= f.nullable;
        } else if (!f.nullable) {
          nullable = false;
          break;
        }
      }
      return { set, nullable: node.t === 'alt' ? nullable || parts.length === 0 : nullable };
    }
  }
}

/** Literal texts every match of `node` starts with; `complete`: the matches are exactly these texts. */
function prefixes(node: Node): { strings: string[]; complete: boolean } {
  switch (node.t) {
    case 'char':
      return { strings: [node.c], complete: true };
    case 'start':
    case 'zero':
      return { strings: [''], complete: true };
    case 'set':
    case 'unknown':
      return { strings: [''], complete: false };
    case 'group':
      return node.look ? { strings: [''], complete: true } : prefixes(node.body);
    case 'repeat': {
      const inner = prefixes(node.body);
      if (node.min === 0 && node.max === 1) return { strings: ['', ...inner.strings], complete: inner.complete };
      if (node.min === 0) return { strings: [''], complete: false };
      return { strings: inner.strings, complete: inner.complete && node.min === 1 && node.max === 1 };
    }
    case 'alt': {
      const strings: string[] = [];
      let complete = true;
      for (const option of node.options) {
        // Too many alternatives to check one by one: stop before looking at the rest (an address pattern
        // has dozens).
        if (strings.length > MAX_PREFIXES) return { strings: [''], complete: false };
        const p = prefixes(option);
        strings.push(...p.strings);
        complete &&= p.complete;
      }
      return strings.length > MAX_PREFIXES ? { strings: [''], complete: false } : { strings, complete };
    }
    case 'seq': {
      let strings = [''];
      for (const item of node.items) {
        const p = prefixes(item);
        if (strings.length * p.strings.length > MAX_PREFIXES) return { strings, complete: false };
        strings = strings.flatMap((s) => p.strings.map((t) => s + t));
        if (!p.complete) return { strings, complete: false };
      }
      return { strings, complete: true };
    }
  }
}

/** Character classes read so far, by their source text (never changed once made). */
const CLASSES = new Map<string, CharSet>();

/** Index of the `]` closing the class that starts at `i`, or -1. */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j < source.length ? j : -1;
}

/** A `{n}`, `{n,}` or `{n,m}` quantifier, read where it stands (sticky: no slice of the source per quantifier). */
const BRACES = /\{(\d+)(,(\d*))?\}/y;

/** Escapes that stand for one literal character. */
const ESCAPED: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', '0': '\0' };

/** True when `source` has a `|` outside every group and class. */
function hasTopLevelBar(source: string): boolean {
  let depth = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 91) {
      const close = classEnd(source, i);
      if (close === -1) return true;
      i = close;
    } else if (c === 40) depth++;
    else if (c === 41) depth--;
    else if (c === 124 && depth === 0) return true;
  }
  return false;
}

/**
 * Parses the subset of JS regex syntax filters use; undefined on anything else. With `stopAfter`, the
 * top-level sequence ends after the first item it returns true for, and the rest of the source is ignored.
 */
function parse(source: string, stopAfter?: (item: Node) => boolean): Node | undefined {
  let i = 0;
  let depth = 0;
  let stopped = false;
  const fail = (): never => {
    throw new SyntaxError('unsupported');
  };

  const alternation = (): Node => {
    const options: Node[] = [sequence()];
    while (source[i] === '|') {
      i++;
      options.push(sequence());
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  };

  const sequence = (): Node => {
    const items: Node[] = [];
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      const item = quantified(atom());
      items.push(item);
      if (depth === 0 && stopAfter?.(item)) {
        stopped = true;
        break;
      }
    }
    return { t: 'seq', items };
  };

  const quantified = (node: Node): Node => {
    const q = source[i];
    let min: number;
    let max: number;
    if (q === '?') [min, max] = [0, 1];
    else if (q === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (q === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (q === '{') {
      BRACES.lastIndex = i;
      const m = BRACES.exec(source);
      if (!m) return node;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Number.POSITIVE_INFINITY : Number(m[3]);
      i += m[0].length - 1;
    } else return node;
    i++;
    if (source[i] === '?') i++;
    return { t: 'repeat', body: node, min, max };
  };

  const atom = (): Node => {
    const c = source[i]!;
    if (c === '(') {
      i++;
      let look = false;
      if (source[i] === '?') {
        const kind = source[i + 1];
        if (kind === ':') i += 2;
        else if (kind === '=' || kind === '!') {
          look = true;
          i += 2;
        } else if (kind === '<' && (source[i + 2] === '=' || source[i + 2] === '!')) {
          look = true;
          i += 3;
        } else if (kind === '<') {
          const close = source.indexOf('>', i);
          if (close === -1) fail();
          i = close + 1;
        } else fail();
      }
      depth++;
      const body = alternation();
      depth--;
      if (source[i] !== ')') fail();
      i++;
      return { t: 'group', body, look };
    }
    if (c === '[') {
      // Address patterns repeat the same few classes hundreds of times: read each once.
      const start = i;
      const close = classEnd(source, i);
      const key = close === -1 ? undefined : source.slice(start, close + 1);
      const known = key === undefined ? undefined : CLASSES.get(key);
      if (known !== undefined) {
        i = close + 1;
        return { t: 'set', set: known };
      }
      const set = charClass();
      if (key !== undefined && i === close + 1 && CLASSES.size < 1024) CLASSES.set(key, set);
      return { t: 'set', set };
    }
    if (c === '.') {
      i++;
      return { t: 'set', set: anySet() };
    }
    if (c === '^') {
      i++;
      return { t: 'start' };
    }
    if (c === '$') {
      i++;
      return { t: 'zero' };
    }
    if (c === '\\') return escaped();
    if (c === ')' || c === '*' || c === '+' || c === '?' || c === '{' || c === '}' || c === ']') fail();
    i++;
    return { t: 'char', c };
  };

  const escaped = (): Node => {
    const e = source[i + 1];
    if (e === undefined) fail();
    i += 2;
    if (e === 'b' || e === 'B') return { t: 'zero' };
    if (e === 'd' || e === 's' || e === 'w' || e === 'D' || e === 'S' || e === 'W') return { t: 'set', set: classEscape(e) };
    if (/[1-9k]/.test(e!)) return { t: 'unknown' };
    if (e === 'x' || e === 'u' || e === 'c' || e === 'p' || e === 'P') return { t: 'unknown' };
    return { t: 'char', c: ESCAPED[e!] ?? e! };
  };

  const charClass = (): CharSet => {
    i++;
    const negate = source[i] === '^';
    if (negate) i++;
    const set = emptySet();
    let firstItem = true;
    while (i < source.length && (source[i] !== ']' || firstItem)) {
      firstItem = false;
      let from: number;
      if (source[i] === '\\') {
        const e = source[i + 1]!;
        i += 2;
        if (/[dswDSW]/.test(e)) {
          union(set, classEscape(e));
          continue;
        }
        if (/[xucpPk1-9]/.test(e)) {
          union(set, anySet());
          continue;
        }
        from = (ESCAPED[e] ?? e).charCodeAt(0);
      } else {
        from = source.charCodeAt(i++);
      }
      let to = from;
      if (source[i] === '-' && source[i + 1] !== ']' && i + 1 < source.length) {
        if (source[i + 1] === '\\') {
          const e = source[i + 2]!;
          if (/[dswDSWxucpPk1-9]/.test(e)) fail();
          to = (ESCAPED[e] ?? e).charCodeAt(0);
          i += 3;
        } else {
          to = source.charCodeAt(i + 1);
          i += 2;
        }
      }
      for (let c = from; c <= to && c < 128; c++) set.ascii[c] = 1;
      if (to >= 128) set.other = true;
    }
    if (source[i] !== ']') fail();
    i++;
    if (!negate) return set;
    const out = emptySet();
    for (let c = 0; c < 128; c++) out.ascii[c] = set.ascii[c] ? 0 : 1;
    // A negated class may match any non-ASCII character unless it listed them all; assume it can.
    out.other = true;
    return out;
  };

  try {
    const node = alternation();
    return i === source.length || stopped ? node : undefined;
  } catch {
    return undefined;
  }
}

function classEscape(e: string): CharSet {
  const set = emptySet();
  const mark = (from: number, to: number): void => {
    for (let c = from; c <= to; c++) set.ascii[c] = 1;
  };
  const lower = e.toLowerCase();
  if (lower === 'd') mark(48, 57);
  else if (lower === 'w') {
    mark(48, 57);
    mark(65, 90);
    mark(97, 122);
    mark(95, 95);
  } else {
    mark(9, 13);
    mark(32, 32);
    set.other = true;
  }
  if (e === lower) return set;
  const out = emptySet();
  for (let c = 0; c < 128; c++) out.ascii[c] = set.ascii[c] ? 0 : 1;
  out.other = true;
  return out;
}
