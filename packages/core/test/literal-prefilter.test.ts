import { expect, test } from 'vitest';
import { expandTags } from '../src/filter-tags.js';
import { deriveLiterals } from '../src/literal-prefilter.js';

test.each([
  ['^Failed password for <F-USER>.+</F-USER> from <HOST> port \\d+', 'Failed password for ', 'Failed password for '],
  ['^Invalid user <F-USER>.*</F-USER> from <HOST>', 'Invalid user ', 'Invalid user '],
  ['^Connection closed by <HOST> port \\d+ \\[preauth\\]$', 'Connection closed by ', 'Connection closed by '],
  ['^(?:error|fatal): x', ': x', undefined],
  ['^abc?def', 'def', 'ab'],
  ['^ab*cde', 'cde', 'a'],
  ['user=\\S+ rhost=<HOST>$', ' rhost=', undefined],
  ['^foo|bar', undefined, undefined],
  ['^a{0,3}xyz', 'xyz', undefined],
  ['^authentication failure.*\\brhost=<HOST>', 'authentication failure', 'authentication failure'],
  ['^[Cc]onnection from <HOST>', 'onnection from ', undefined],
])('%s', (pattern, longest, anchored) => {
  const d = deriveLiterals(expandTags(pattern).source);
  expect(d.longest).toBe(longest);
  expect(d.anchored).toBe(anchored);
});
