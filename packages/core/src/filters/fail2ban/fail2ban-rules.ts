import type { FailRule, RuleKind } from '../../contract/filter-definition.js';
import { PythonRegexError, pythonToJsRegex } from '../../parsing/python-regex.js';

/**
 * Turns fail2ban failregex/ignoreregex lines (tags already substituted) into Portcullis rules: the
 * multi-line tags become the rule's role (`<F-NOFAIL>` → `note`, `<F-MLFGAINED>` → `success`,
 * `<F-MLFFORGET>` → `forget`), `<F-ALT_USER1>` becomes `<F-USER>`, self-closing tags (`<F-ID/>`) their
 * open/close pair, and the Python syntax JavaScript. A `prefregex` is folded into every rule: its part
 * before `<F-CONTENT>` is put in front, and the rule's anchors become the content's ends — one regex per
 * rule, as fail2ban's two-step match gives the same answer, so the literal pre-checks still apply.
 */

/** A construct that cannot be translated; `construct` is the text to point at in the file. */
export class UntranslatableError extends Error {
  readonly construct: string;
  constructor(construct: string, reason: string) {
    super(`${reason}: \`${construct}\``);
    this.construct = construct;
  }
}

/** `prefregex` split at its `<F-CONTENT>` group. */
export interface Prefregex {
  readonly head: string;
  readonly content: string;
  /** What follows the content, without the final `$`. */
  readonly tail: string;
  /** `<F-MLFID>` around the line's header: the connection id is the process. */
  readonly mlfid: boolean;
  /** The prefregex up to its `<F-MLFID>` group's end, that group named `mlfid` (JavaScript). */
  readonly mlfidSource: string | undefined;
}

export function splitPrefregex(pref: string): Prefregex {
  const m = /^([\s\S]*)<F-CONTENT>([\s\S]*)<\/F-CONTENT>([\s\S]*)$/.exec(pref);
  if (!m) throw new UntranslatableError(pref.slice(0, 60), 'a prefregex needs a <F-CONTENT>…</F-CONTENT> group');
  const mlfid = m[1]!.includes('<F-MLFID>');
  const head = m[1]!.replace(/<\/?F-MLFID>/g, '');
  let tail = m[3]!;
  if (!tail.endsWith('$') || tail.endsWith('\\$')) throw new UntranslatableError(tail || pref.slice(-20), 'a prefregex must end its content at the end of the line');
  tail = tail.slice(0, -1);
  let mlfidSource: string | undefined;
  if (mlfid) {
    try {
      const upTo = m[1]!.slice(0, m[1]!.indexOf('</F-MLFID>') + '</F-MLFID>'.length);
      mlfidSource = pythonToJsRegex(upTo.replace('<F-MLFID>', '(?P<mlfid>').replace('</F-MLFID>', ')'));
    } catch {
      mlfidSource = undefined;
    }
  }
  return { head, content: m[2]!, tail, mlfid, mlfidSource };
}

const FLAG_TAGS = /<\/?F-(?:NOFAIL|MLFFORGET|MLFGAINED|MLFID)>/g;
const SELF_CLOSING: Record<string, string> = {
  'F-ID/': '<F-ID>\\S+</F-ID>',
  'F-PORT/': '<F-PORT>\\w+</F-PORT>',
  'F-IP4/': '<IP4>',
  'F-IP6/': '<IP6>',
  'F-ADDR/': '<ADDR>',
  'F-DNS/': '<HOST>',
  DNS: '<HOST>',
};
const PROTECTED = /<\/?F-[A-Za-z][A-Za-z0-9_]*>|<(?:HOST|ADDR|IP4|IP6)>/g;

/** One fail2ban regex line → a rule (or an ignoreregex pattern, whose role is then unused). */
export function translateRule(line: string, pref: Prefregex | undefined, multiline = false): FailRule {
  let kind: RuleKind = 'fail';
  if (line.includes('<F-MLFGAINED>')) kind = 'success';
  else if (line.includes('<F-NOFAIL>')) kind = 'note';
  const forget = line.includes('<F-MLFFORGET>');
  for (const bad of ['<CIDR>', '<SUBNET>', '<F-CIDR/>', '<F-SUBNET/>']) {
    if (line.includes(bad)) throw new UntranslatableError(bad, 'subnet tags are not supported');
  }
  if (line.includes('<SKIPLINES>') && !multiline) throw new UntranslatableError('<SKIPLINES>', '<SKIPLINES> needs maxlines above 1');
  let text = line
    // fail2ban's own expansion: the lines between two parts of a multi-line regex.
    .replaceAll('<SKIPLINES>', '\\n(?:(?:.*\\n)*?)')
    .replace(FLAG_TAGS, (t) => (t.startsWith('</') ? ')' : '(?:'))
    .replace(/<(\/?)F-ALT_([A-Za-z]+?)\d*>/g, '<$1F-$2>')
    .replace(/<(F-[A-Z0-9]+\/|DNS)>/g, (m, t: string) => SELF_CLOSING[t] ?? m);
  // A Python back-reference to a tag's field (`(?P=user)` after `<F-USER>`) needs a named group to point at.
  for (const ref of text.matchAll(/\(\?P=([A-Za-z_]\w*)\)/g)) {
    const name = ref[1]!;
    const tag = new RegExp(`<F-${name}>([\\s\\S]*?)</F-${name}>`, 'i');
    text = text.replace(tag, (_m, inner: string) => `<F-${name.toUpperCase()}>(?P<${name}>${inner})</F-${name.toUpperCase()}>`);
  }
  if (pref !== undefined) text = combine(pref, text);
  const tags: string[] = [];
  const shielded = text.replace(PROTECTED, (t) => `\uE000${tags.push(t) - 1}\uE001`);
  let js: string;
  try {
    js = pythonToJsRegex(shielded);
  } catch (e) {
    if (e instanceof PythonRegexError) throw new UntranslatableError(e.construct.replace(/\uE000(\d+)\uE001/g, (_m, n: string) => tags[Number(n)]!), e.message.split(':')[0]!);
    throw e;
  }
  // fail2ban's `<ADDR>` (and the address half of `<HOST>`) takes optional brackets around IPv4 too: `[1.2.3.4]`.
  const pattern = js.replace(/\uE000(\d+)\uE001/g, (_m, n: string) => tags[Number(n)]!.replace(/^<(HOST|ADDR)>$/, '\\[?<$1>\\]?'));
  // fail2ban compiles multi-line regexes with re.MULTILINE: `^` and `$` hold at every line of the buffer.
  return { pattern: multiline ? lineAnchors(pattern) : pattern, kind, forget };
}

/** `^` → `(?:^|(?<=\n))` and `$` → `(?=\n|$)`, outside classes and escapes: Python's MULTILINE anchors. */
function lineAnchors(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      out += source.slice(i, j + 1);
      i = j;
    } else if (c === '^') out += '(?:^|(?<=\\n))';
    else if (c === '$') out += '(?=\\n|$)';
    else out += c;
  }
  return out;
}

/** The rule inside the prefregex: `head (?=content tail$) rule`, the rule's `$` meaning the content's end. */
function combine(pref: Prefregex, rule: string): string {
  let body = rule;
  if (body.startsWith('^')) body = body.slice(1);
  else body = `.*?(?:${body})`;
  const end = pref.tail === '' ? '$' : `(?=${pref.tail}$)`;
  body = replaceEnds(body, end);
  const guard = pref.content === '.+' && pref.tail === '' ? '(?=.)' : `(?=${pref.content}${pref.tail}$)`;
  return `${pref.head}${guard}${body}`;
}

/** Replaces every unescaped `$` outside character classes (`\Z` too) with `end`. */
function replaceEnds(source: string, end: string): string {
  if (end === '$') return source;
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (source[i + 1] === 'Z') out += end;
      else out += c + (source[i + 1] ?? '');
      i++;
    } else if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      for (; j < source.length && source[j] !== ']'; j++) if (source[j] === '\\') j++;
      out += source.slice(i, j + 1);
      i = j;
    } else out += c === '$' ? end : c;
  }
  return out;
}
