import { describe, expect, test } from 'vitest';
import { expandTags } from '../src/filters/filter-tags.js';
import { hasChar, leadingChars, literalPrefixes } from '../src/filters/regex-shape.js';

const chars = (source: string): string | undefined => {
  const set = leadingChars(source);
  if (set === undefined) return undefined;
  let out = '';
  for (let c = 32; c < 127; c++) if (hasChar(set, c)) out += String.fromCharCode(c);
  return set.other ? `${out}+` : out;
};

describe('literalPrefixes', () => {
  test.each([
    ['^Failed password for', ['Failed password for']],
    ['^Connection (?:closed|reset) by (\\S+)', ['Connection closed by ', 'Connection reset by ']],
    ['^(?:Connection (?:closed|reset) by|Disconnected from) <HOST>', ['Disconnected from ', 'Connection reset by ', 'Connection closed by ']],
    ['^Failed (?!publickey )[^\\s]{1,64} for', ['Failed ']],
    ['^Disconnecting(?: from)? user', ['Disconnecting user', 'Disconnecting from user']],
    ['^ab?c', ['abc', 'ac']],
    ['^x+y', ['x']],
    ['^\\[ID \\d+', ['[ID ']],
  ])('%s', (pattern, expected) => {
    expect(literalPrefixes(expandTags(pattern).source)?.sort()).toEqual([...expected].sort());
  });

  test.each([
    'Failed password', // not anchored
    '^Failed|Invalid', // one alternative is not anchored
    '^(?:a|b*)c', // may start with c or b or a: b* makes "" a prefix
    '^[ab]x',
    '^.{0,3}x',
    '^(a{1,2})',
    '^(?:a|b|c|d|e|f|g|h|i)(?:a|b|c)', // too many combinations to check one by one
  ])('none for %s', (pattern) => {
    const found = literalPrefixes(pattern);
    expect(found === undefined || found.every((p) => p.length > 0)).toBe(true);
    if (pattern === '^(?:a|b*)c' || pattern === '^[ab]x' || pattern === '^.{0,3}x' || !pattern.startsWith('^')) expect(found).toBeUndefined();
  });
});

describe('leadingChars', () => {
  test.each([
    ['(?:message repeated \\d{1,9} times: \\[ {1,2})?(?:\\[ID \\d{1,10} [a-z0-9.]{1,32}\\] )?(?:(?:error|fatal): (?:PAM: )?)?', '[efm'],
    ['\\d{1,10} x', '0123456789'],
    ['(?:ab|cd)?e', 'ace'],
    ['[^\\s]x', undefined],
    ['\\1', undefined],
  ])('%s', (pattern, expected) => {
    const got = chars(pattern);
    if (expected === undefined) {
      // Either unknown, or every printable character.
      expect(got === undefined || got.length >= 94).toBe(true);
    } else {
      expect(got).toBe(expected);
    }
  });

  test('a prefix that starts with another character only matches empty', () => {
    const prefix = '(?:(?:error|fatal): )?';
    const set = leadingChars(prefix)!;
    for (const message of ['Failed password', 'error: x', 'fatal: y', 'eek', '', '\u00e9']) {
      const re = new RegExp(prefix, 'y');
      re.lastIndex = 0;
      re.test(message);
      if (!hasChar(set, message.charCodeAt(0))) expect(re.lastIndex).toBe(0);
    }
  });
});
