import { PortcullisError } from '../util/errors.js';
import type { RuleKind } from '../contract/filter-definition.js';
import { type TagGroup, expandTags } from './filter-tags.js';
import { addressBytes } from '../util/ip-address.js';
import { deriveLiterals } from './literal-prefilter.js';
import { literalPrefixes } from './regex-shape.js';

/** One failregex or ignoreregex ready to run. */
export interface CompiledRule {
  readonly index: number;
  readonly pattern: string;
  readonly kind: RuleKind;
  readonly forget: boolean;
  readonly description: string | undefined;
  readonly regex: RegExp;
  readonly groups: readonly TagGroup[];
  /** At least one must occur in the message (undefined: no pre-check). */
  readonly literals: readonly string[] | undefined;
  /** The message must start with one of these (from a `^`-anchored pattern; undefined: no such check). */
  readonly prefixes: readonly string[] | undefined;
  readonly hasHost: boolean;
}

/** What a matching rule captured. */
export interface Captures {
  host: string | undefined;
  /** The host as the line wrote it (before canonical form), when a host was captured. */
  hostText?: string | undefined;
  user: string | undefined;
  fields: Record<string, string> | undefined;
}

const RULE_KINDS: readonly RuleKind[] = ['fail', 'note', 'pending', 'fallback', 'success'];

/** Compiles one pattern; a syntax error becomes `FILTER_REGEX_INVALID` naming the filter and the rule. */
export function compileRule(
  filterId: string,
  what: string,
  index: number,
  rule: { pattern: string; kind?: RuleKind | undefined; forget?: boolean | undefined; literals?: readonly string[] | undefined; description?: string | undefined },
): CompiledRule {
  // A kind no one handles would make the rule a silent note, and an empty literal passes every line: both
  // are mistakes in a filter's definition, refused when it loads rather than found in a missed ban.
  if (rule.kind !== undefined && !RULE_KINDS.includes(rule.kind))
    throw new PortcullisError('FILTER_RULE_INVALID', `filter "${filterId}", ${what} #${index}: kind ${JSON.stringify(rule.kind)} is not one of ${RULE_KINDS.join(', ')}`);
  if (rule.literals?.some((l) => typeof l !== 'string' || l.length === 0))
    throw new PortcullisError('FILTER_RULE_INVALID', `filter "${filterId}", ${what} #${index}: a literal must be a non-empty string`);
  const expanded = expandTags(rule.pattern);
  let regex: RegExp;
  try {
    regex = new RegExp(expanded.source);
  } catch (e) {
    throw new PortcullisError('FILTER_REGEX_INVALID', `filter "${filterId}", ${what} #${index} /${rule.pattern}/: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const derived = deriveLiterals(expanded.source);
  const prefixes = literalPrefixes(expanded.source, derived.alternation);
  let literals = rule.literals && rule.literals.length > 0 ? rule.literals : undefined;
  // A literal every prefix already contains tells nothing more once the prefix matched.
  if (literals !== undefined && prefixes !== undefined && prefixes.every((p) => literals!.some((l) => p.includes(l)))) literals = undefined;
  if (literals === undefined) {
    // Derived: the longest mandatory run the prefixes do not already check (`Auth fail` at the end of
    // `^Received disconnect from <HOST>…Auth fail$`, rather than the prefix itself).
    let best: string | undefined;
    for (const run of derived.runs) {
      if (prefixes?.some((p) => p.includes(run))) continue;
      if (best === undefined || run.length > best.length) best = run;
    }
    if (best !== undefined) literals = [best];
  }
  return {
    index,
    pattern: rule.pattern,
    kind: rule.kind ?? 'fail',
    forget: rule.forget ?? false,
    description: rule.description,
    regex,
    groups: expanded.groups,
    literals,
    prefixes,
    hasHost: expanded.groups.some((g) => g.field === 'host'),
  };
}

/** True when the rule's literal pre-checks let the message through. */
export function passesLiterals(rule: CompiledRule, message: string): boolean {
  const pre = rule.prefixes;
  if (pre !== undefined) {
    let i = 0;
    while (i < pre.length && !message.startsWith(pre[i]!)) i++;
    if (i === pre.length) return false;
  }
  return containsLiterals(rule, message);
}

/** The second half of {@link passesLiterals}, for a message already known to start with a prefix of the rule. */
export function containsLiterals(rule: CompiledRule, message: string): boolean {
  const lits = rule.literals;
  if (lits === undefined) return true;
  for (let i = 0; i < lits.length; i++) if (message.includes(lits[i]!)) return true;
  return false;
}

/**
 * Runs the rule's regex; undefined when it does not match, when a captured address does not parse
 * (`999.1.1.1`) or when it is one no failure may name ({@link isUnreportable}: `::`, `0.0.0.0`, multicast,
 * broadcast). Hosts: IPv4-mapped IPv6 becomes the IPv4, other IPv6 is lower-cased, names stay as logged.
 * With `into`, that object is filled and returned (its fields are overwritten whenever the regex matches).
 */
export function capture(rule: CompiledRule, message: string, into?: Captures): Captures | undefined {
  const m = rule.regex.exec(message);
  if (m === null) return undefined;
  // `into`: a caller's object, filled instead of a new one per match.
  const out: Captures = into ?? { host: undefined, user: undefined, fields: undefined };
  out.host = undefined;
  out.user = undefined;
  out.fields = undefined;
  const groups = rule.groups;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    const value = m[g.index];
    if (value === undefined) continue;
    if (g.field === 'host') {
      if (out.host !== undefined) continue;
      const host = reportHost(value, g.addressOnly);
      if (host === undefined) return undefined;
      out.host = host;
      out.hostText = value;
    } else if (g.field === 'user') {
      out.user ??= value;
    } else {
      out.fields ??= {};
      out.fields[g.field] ??= value;
    }
  }
  return out;
}

/** True when `text` is a dotted quad in canonical form (no leading zeros, octets ≤ 255): checked without allocating. */
function isPlainIPv4(text: string): boolean {
  let octets = 0;
  let value = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || value > 255 || ++octets > 4) return false;
      value = -1;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false;
      value = Math.max(value, 0) * 10 + (c - 48);
      digits++;
    } else {
      return false;
    }
  }
  return octets === 4;
}

/**
 * True for addresses no failure may name: no peer sends from them, and banning one is either useless or
 * harmful. IPv4: `0.0.0.0/8` (this network, incl. the unspecified `0.0.0.0`), multicast `224.0.0.0/4` and
 * the broadcast `255.255.255.255`; IPv6: the unspecified `::` and multicast `ff00::/8`.
 */
export function isUnreportable(bytes: Uint8Array): boolean {
  if (bytes.length === 4) {
    const a = bytes[0]!;
    return a === 0 || (a >= 224 && a <= 239) || (a === 255 && bytes[1] === 255 && bytes[2] === 255 && bytes[3] === 255);
  }
  if (bytes[0] === 0xff) return true;
  for (let i = 0; i < 16; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** {@link isUnreportable} for a canonical dotted quad, read from its text without allocating. */
function isUnreportableQuad(text: string): boolean {
  const c0 = text.charCodeAt(0) - 48;
  if (c0 === 0) return true;
  if (c0 !== 2 || text.charCodeAt(1) === 46 || text.charCodeAt(2) === 46) return false;
  const first = 200 + (text.charCodeAt(1) - 48) * 10 + (text.charCodeAt(2) - 48);
  return (first >= 224 && first <= 239) || text === '255.255.255.255';
}

/**
 * True when `text` is an IPv6 address in hex groups only (no dotted tail, no zone, no brackets) whose
 * first group is 1 to feff: such an address is reported as written, lower-cased, and it cannot be one
 * {@link isUnreportable} refuses or an IPv4-mapped one (those start with a zero group, or with ff).
 * Checked without allocating, as {@link addressBytes} would read it; any other text takes that path.
 */
function isPlainIPv6(text: string): boolean {
  const n = text.length;
  if (n < 3 || n > 39) return false;
  let groups = 0;
  let digits = 0;
  let first = 0;
  let gap = false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) {
      // A colon ends a group, which must not be empty: `::` is the one gap, a third colon is an error.
      if (digits === 0) return false;
      groups++;
      digits = 0;
      if (text.charCodeAt(i + 1) === 58) {
        if (gap) return false;
        gap = true;
        i++;
      } else if (i === n - 1) {
        return false;
      }
      continue;
    }
    const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (h < 0 || ++digits > 4) return false;
    if (groups === 0) first = first * 16 + h;
  }
  if (digits > 0) groups++;
  return (gap ? groups <= 7 : groups === 8) && first >= 1 && first <= 0xfeff;
}

function reportHost(value: string, addressOnly: boolean): string | undefined {
  if (isPlainIPv4(value)) return isUnreportableQuad(value) ? undefined : value;
  if (isPlainIPv6(value)) return value.toLowerCase();
  const text = value.charCodeAt(0) === 91 ? value.slice(1, -1) : value;
  const bytes = addressBytes(text);
  if (bytes !== undefined) {
    if (isUnreportable(bytes)) return undefined;
    return bytes.length === 4 ? `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}` : text.toLowerCase();
  }
  if (addressOnly || text.includes(':') || /^[\d.]+$/.test(text)) return undefined;
  return text;
}
