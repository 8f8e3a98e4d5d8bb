import type { FilterDefinition } from '@portcullis/core';

/** A small sshd-like filter for the testkit's own tests. */
export const miniFilter: FilterDefinition = {
  id: 'mini',
  programs: ['sshd'],
  correlate: 'pid',
  options: { mode: { values: ['normal', 'aggressive'], default: 'normal' } },
  failregex: [
    { pattern: '^Failed password for <F-USER>.+</F-USER> from <HOST> port \\d+ ssh2$' },
    { pattern: '^Failed publickey for <F-USER>\\S+</F-USER> from <HOST> port \\d+ ssh2$', kind: 'pending' },
    { pattern: '^Accepted \\w+ for \\S+ from <HOST>', kind: 'success' },
    { pattern: '^Disconnected from <HOST> port \\d+ \\[preauth\\]$', kind: 'note', forget: true },
    { pattern: '^Connection closed by <HOST> port \\d+ \\[preauth\\]$', when: { mode: ['aggressive'] } },
  ],
};

/**
 * A deliberately careless filter: a lazy user match that lets an injected `from <addr>` win, and an
 * unanchored bounded scan that is slow (quadratic-ish, but bounded, so the test finishes) on `[[[…` lines.
 */
export const carelessFilter: FilterDefinition = {
  id: 'careless',
  programs: ['sshd'],
  failregex: ['Failed password for .*? from <HOST> port', '\\[[^\\]]{0,1000}x'],
};
