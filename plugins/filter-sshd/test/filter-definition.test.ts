import type { FailRule } from '@portcullis/core';
import { compileFilter } from '@portcullis/core/engine';
import { describe, expect, it } from 'vitest';
import plugin, { sshd } from '../src/index.js';

// What users meet of the definition besides its rules' matches: the names `test-filter` prints per rule,
// the journal selection a `backend: journal` jail runs journalctl with, and the `mode` option.
const rules = sshd.failregex as readonly FailRule[];

describe('sshd filter definition', () => {
  it('every rule has its own description, so test-filter statistics tell the rules apart', () => {
    const descriptions = rules.map((r) => r.description ?? '');
    expect(descriptions.filter((d) => d.trim().length < 10)).toEqual([]);
    expect(descriptions.filter((d, i) => descriptions.indexOf(d) !== i)).toEqual([]);
  });

  it('selects the journal entries of every sshd unit, process and syslog tag, as journalctl match terms joined by +', () => {
    const terms = sshd.journalmatch ?? [];
    // journalctl takes FIELD=value terms; `+` between them is OR (config validation refuses an empty term).
    for (const [i, t] of terms.entries()) {
      expect(t, `term ${i}`).toMatch(
        i % 2 === 1 ? /^\+$/ : /^(?:_SYSTEMD_UNIT|_COMM|SYSLOG_IDENTIFIER)=[a-z-]+(?:\.service)?$/,
      );
    }
    expect(terms.length % 2).toBe(1);
    const values = terms.filter((t) => t !== '+');
    expect(new Set(values).size).toBe(values.length);
    for (const tag of ['sshd', 'sshd-session', 'sshd-auth'])
      expect(values).toContain(`SYSLOG_IDENTIFIER=${tag}`);
    expect(values.filter((v) => v.startsWith('_SYSTEMD_UNIT=')).length).toBe(2);
  });

  it('mode defaults to normal, takes the four fail2ban modes, describes each, and refuses any other', () => {
    const mode = sshd.options!.mode!;
    expect(compileFilter(sshd).options).toEqual({ mode: 'normal' });
    expect(compileFilter(sshd, {}).rules.length).toBe(compileFilter(sshd, { mode: 'normal' }).rules.length);
    for (const value of mode.values) {
      expect(compileFilter(sshd, { mode: value }).options.mode).toBe(value);
      expect(mode.description).toContain(`${value}: `);
    }
    expect(mode.values).toEqual(['normal', 'ddos', 'extra', 'aggressive']);
    expect(() => compileFilter(sshd, { mode: 'paranoid' })).toThrow(
      'valid values: normal, ddos, extra, aggressive',
    );
    // Each mode counts more than normal; aggressive holds every rule of the others.
    const counts = mode.values.map(
      (m) => compileFilter(sshd, { mode: m }).rules.filter((r) => r.kind !== 'note').length,
    );
    expect(Math.min(...counts.slice(1))).toBeGreaterThan(counts[0]!);
    expect(counts[3]).toBe(Math.max(...counts));
  });

  it('is what the package gives a config: a plugin named after the package, holding the sshd filter', () => {
    // A config lists `@portcullis/filter-sshd` under plugins and names the filter `sshd` in a jail.
    expect(plugin.name).toBe('@portcullis/filter-sshd');
    expect(plugin.filters?.map((f) => f.id)).toEqual(['sshd']);
    expect(plugin.filters?.[0]).toBe(sshd);
  });
});
