import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/compose/load-config.js';
import { PortcullisError } from '../src/util/errors.js';

const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');

async function problems(raw: object, dir = mkdtempSync(join(tmpdir(), 'dp-'))): Promise<readonly string[]> {
  try {
    await parseConfig(raw, { dir });
  } catch (error) {
    expect(error).toBeInstanceOf(PortcullisError);
    return (error as PortcullisError).problems;
  }
  return [];
}

describe('datepattern in the config', () => {
  it('takes the jail’s datepattern, else its filter’s, else the defaults’', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-'));
    writeFileSync(
      join(dir, 'plugin.mjs'),
      `export default { name: 'p', apiVersion: '1.0.0', filters: [{ id: 'nodate', datepattern: '{NONE}', failregex: ['^x <HOST>$'] }], actions: [] };`,
    );
    const loaded = await parseConfig(
      {
        plugins: [plugin, join(dir, 'plugin.mjs')],
        defaults: { datepattern: '{^LN-BEG}%Y/%m/%d %H:%M:%S' },
        jails: {
          own: { filter: 'demo', logpath: '/x', datepattern: 'EPOCH' },
          inherited: { filter: 'demo', logpath: '/x' },
          fromFilter: { filter: 'nodate', logpath: '/x', datepattern: undefined },
        },
      },
      { dir },
    );
    expect(loaded.jails.map((j) => [j.name, j.datepattern])).toEqual([
      ['own', 'EPOCH'],
      ['inherited', '{^LN-BEG}%Y/%m/%d %H:%M:%S'],
      ['fromFilter', '{NONE}'], // the filter knows its log better than a default for all jails
    ]);
    const none = await parseConfig({ plugins: [plugin], jails: { j: { filter: 'demo', logpath: '/x' } } }, { dir });
    expect(none.jails[0]!.datepattern).toBeUndefined();
  });

  it('reports every invalid datepattern with its path, in one pass', async () => {
    expect(
      await problems({
        plugins: [plugin],
        defaults: { datepattern: '%Y-%m-%d (%H)' },
        jails: {
          a: { filter: 'demo', logpath: '/x', datepattern: '%Y-%m-%d %H:%M:%Q' },
          b: { filter: 'demo', logpath: '/x', datepattern: 'no codes' },
        },
      }),
    ).toEqual([
      'defaults.datepattern: "(" is regex syntax: a datepattern is literal text and %-codes (write \\( for the character itself)',
      expect.stringMatching(/^jails\.a\.datepattern: unknown date code %Q \(known: /),
      'jails.b.datepattern: "no codes" has no date or time code (such as %Y-%m-%d %H:%M:%S)',
    ]);
  });

  it('names a filter whose own datepattern is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-'));
    writeFileSync(
      join(dir, 'plugin.mjs'),
      `export default { name: 'p', apiVersion: '1.0.0', filters: [{ id: 'bad', datepattern: '%Y-%q', failregex: ['^x <HOST>$'] }], actions: [] };`,
    );
    expect(await problems({ plugins: [join(dir, 'plugin.mjs')], jails: { j: { filter: 'bad', logpath: '/x' } } }, dir)).toEqual([
      expect.stringMatching(/^jails\.j\.filter: the datepattern of filter "bad" is invalid: unknown date code %q/),
    ]);
  });
});
