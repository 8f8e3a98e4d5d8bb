/**
 * The tag language of failregexes: `<HOST>`, `<ADDR>`, `<IP4>`, `<IP6>` and `<F-NAME>…</F-NAME>` become
 * named capture groups. Every group name is unique (`pcl_host_0`, `pcl_f_user_1`, …) because a pattern may
 * use the same tag in several alternatives; {@link TagGroup} says what each group holds.
 */

const HEX = '[0-9a-fA-F]{1,4}';
/** Loose on purpose: the captured text is checked with parseAddress, so `999.1.1.1` fails there, not here. */
export const IP4_SOURCE = '\\d{1,3}(?:\\.\\d{1,3}){3}';

/**
 * IPv6 with exact structure: hextets of 1–4 hex digits, at most one `::`, at most 8 groups, optional IPv4
 * tail. Each alternative fixes how many groups stand before the `::`, so alternatives never overlap in
 * length and the engine backtracks only over a bounded 45 characters — which is also what lets
 * `2001:db8::1:5123` give up its last hextet when the pattern wants `:<port>` after the address (Apache 2.4
 * logs `[client 2001:db8::1:51234]` without brackets).
 */
export const IP6_SOURCE: string = (() => {
  const alts = [`(?:${HEX}:){7}${HEX}`, `(?:${HEX}:){6}${IP4_SOURCE}`];
  for (let before = 0; before <= 7; before++) {
    const head = before === 0 ? '' : `${HEX}(?::${HEX}){${before - 1}}`;
    const maxAfter = 7 - before;
    const tails: string[] = [];
    if (before <= 5) tails.push(`(?:${HEX}:){0,${5 - before}}${IP4_SOURCE}`);
    if (maxAfter > 0) tails.push(`${HEX}(?::${HEX}){0,${maxAfter - 1}}`);
    tails.push('');
    alts.push(`${head}::(?:${tails.join('|')})`);
  }
  return `(?:${alts.join('|')})`;
})();

/**
 * A DNS host name (also matches IPv4 text). Length-bounded instead of label-structured so the regex stays
 * linear: no nested quantifiers that could split the same text in many ways.
 */
const HOSTNAME_SOURCE = '[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?';

/** What a capture group of an expanded pattern holds. */
export interface TagGroup {
  /** Index of the group in the match array (tags become plain numbered groups: no `groups` object per match). */
  readonly index: number;
  /** `host` for address/host tags, else the lower-cased field name (`user`, `id`, …). */
  readonly field: string;
  /** True for `<ADDR>`, `<IP4>`, `<IP6>`: the capture must parse as an address. */
  readonly addressOnly: boolean;
}

/** A pattern with its tags expanded. */
export interface ExpandedPattern {
  readonly source: string;
  readonly groups: readonly TagGroup[];
}

const TAG = /<(HOST|ADDR|IP4|IP6)>|<F-([A-Za-z][A-Za-z0-9_]*)>|<\/F-([A-Za-z][A-Za-z0-9_]*)>/g;

/** Expands the tags of one pattern. Unbalanced `<F-…>` tags are left for the regex compiler to reject. */
export function expandTags(pattern: string): ExpandedPattern {
  const named: { group: string; field: string; addressOnly: boolean }[] = [];
  const groups = named;
  let n = 0;
  const source = pattern.replace(TAG, (_m, addr: string | undefined, open: string | undefined) => {
    if (addr) {
      const i = n++;
      if (addr === 'HOST') {
        groups.push({ group: `pcl_host_${i}`, field: 'host', addressOnly: false });
        return `(?<pcl_host_${i}>${IP4_SOURCE}|\\[${IP6_SOURCE}\\]|${IP6_SOURCE}|${HOSTNAME_SOURCE})`;
      }
      groups.push({ group: `pcl_host_${i}`, field: 'host', addressOnly: true });
      if (addr === 'IP4') return `(?<pcl_host_${i}>${IP4_SOURCE})`;
      if (addr === 'IP6') return `(?<pcl_host_${i}>${IP6_SOURCE})`;
      return `(?<pcl_host_${i}>${IP4_SOURCE}|\\[${IP6_SOURCE}\\]|${IP6_SOURCE})`;
    }
    if (open) {
      const i = n++;
      const field = open.toLowerCase();
      groups.push({ group: `pcl_f_${i}`, field, addressOnly: false });
      return `(?<pcl_f_${i}>`;
    }
    return ')';
  });
  return numberGroups(source, named);
}

/**
 * Turns the `(?<pcl_…>` groups into plain `(` and finds their numbers by counting capturing groups from the
 * left (the pattern's own groups, named or not, count too). Escapes and character classes are skipped.
 */
function numberGroups(source: string, named: readonly { group: string; field: string; addressOnly: boolean }[]): ExpandedPattern {
  const byName = new Map(named.map((g) => [g.group, g]));
  const out: TagGroup[] = [];
  let result = '';
  let count = 0;
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      continue;
    }
    if (c !== '(') continue;
    if (source[i + 1] !== '?') {
      count++;
      continue;
    }
    if (source[i + 2] !== '<' || source[i + 3] === '=' || source[i + 3] === '!') continue;
    count++;
    const close = source.indexOf('>', i);
    const tag = byName.get(source.slice(i + 3, close));
    if (tag) {
      out.push({ index: count, field: tag.field, addressOnly: tag.addressOnly });
      result += `${source.slice(from, i)}(`;
      from = close + 1;
    }
  }
  return { source: result + source.slice(from), groups: out };
}
