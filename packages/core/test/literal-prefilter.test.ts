import { expect, test } from 'vitest';
import { expandTags } from '../src/filters/filter-tags.js';
import { deriveLiterals } from '../src/filters/literal-prefilter.js';

test.each([
  ['^Failed password for <F-USER>.+</F-USER> from <HOST> port \\d+', ['Failed password for ', ' from ', ' port ']],
  ['^Invalid user <F-USER>.*</F-USER> from <HOST>', ['Invalid user ', ' from ']],
  ['^Connection closed by <HOST> port \\d+ \\[preauth\\]$', ['Connection closed by ', ' port ', ' [preauth]']],
  ['^(?:error|fatal): x', [': x']],
  ['^abc?def', ['ab', 'def']],
  ['^ab*cde', ['cde']],
  ['user=\\S+ rhost=<HOST>$', ['user=', ' rhost=']],
  ['^a{0,3}xyz', ['xyz']],
  ['^authentication failure.*\\brhost=<HOST>', ['authentication failure', 'rhost=']],
  ['^[Cc]onnection from <HOST>', ['onnection from ']],
])('%s', (pattern, runs) => {
  const d = deriveLiterals(expandTags(pattern).source);
  expect(d.alternation).toBe(false);
  expect(d.runs).toEqual(runs);
});

test('a top-level alternation derives nothing', () => {
  expect(deriveLiterals(expandTags('^foo|bar').source)).toEqual({ runs: [], alternation: true });
});
