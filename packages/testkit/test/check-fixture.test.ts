import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkFilterFixture, parseFixture, parsePairs } from '../src/index.js';
import { miniFilter } from './mini-filter.js';

const fixture = (name: string): string => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));

describe('checkFilterFixture', () => {
  test('a correct fixture passes, with counts', () => {
    const r = checkFilterFixture(miniFilter, fixture('mini.log'), { now: Date.UTC(2005, 2, 1) });
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ lines: 11, failures: 5, blocks: 3 });
  });

  test('wrong expectations fail, naming file, line, expected and actual', () => {
    const file = fixture('wrong.log');
    const r = checkFilterFixture(miniFilter, file, { now: Date.UTC(2005, 2, 1) });
    expect(r.errors).toEqual([
      `${file}:2: expected host=192.0.2.99 user=root, got host=192.0.2.1 user=root time=2005-02-25T13:34:10.000Z (host: expected "192.0.2.99", got "192.0.2.1")`,
      `${file}:3: expected no failure, got host=192.0.2.2 user=admin time=2005-02-25T13:34:11.000Z`,
      `${file}:5: expected a failure host=192.0.2.3, got none`,
      `${file}:7: expected user="", got host=192.0.2.1 user=root time=2005-02-25T13:34:13.000Z (user: expected "", got "root")`,
      `${file}:8: filter "mini": option mode="bogus" is not valid; valid values: normal, aggressive`,
    ]);
  });
});

describe('checkFilterFixture: lines before the first header', () => {
  test('are checked with the filter defaults when a #> header follows further down', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcl-fixture-'));
    try {
      const file = join(dir, 'before-header.log');
      writeFileSync(
        file,
        [
          '#= host=192.0.2.99',
          'Feb 25 13:34:10 web1 sshd[100]: Failed password for root from 192.0.2.1 port 22 ssh2',
          // a default-mode filter does not count this line, so an expectation for it must fail
          '#= host=192.0.2.3',
          'Feb 25 13:34:11 web1 sshd[104]: Connection closed by 192.0.2.3 port 22 [preauth]',
          'Feb 25 13:34:12 web1 sshd[105]: Failed password for bob from 192.0.2.5 port 22 ssh2',
          '#> mode=aggressive',
          '#= host=192.0.2.3',
          'Feb 25 13:34:14 web1 sshd[104]: Connection closed by 192.0.2.3 port 22 [preauth]',
          '',
        ].join('\n'),
      );
      const r = checkFilterFixture(miniFilter, file, { now: Date.UTC(2005, 2, 1) });
      expect(r.errors).toEqual([
        `${file}:2: expected host=192.0.2.99, got host=192.0.2.1 user=root time=2005-02-25T13:34:10.000Z (host: expected "192.0.2.99", got "192.0.2.1")`,
        `${file}:4: expected a failure host=192.0.2.3, got none`,
        `${file}:5: expected no failure, got host=192.0.2.5 user=bob time=2005-02-25T13:34:12.000Z`,
      ]);
      expect(r).toMatchObject({ lines: 4, blocks: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fixture format', () => {
  test('pairs with quotes and empty values', () => {
    expect(parsePairs(' host=1.2.3.4 user="a b" id= x="="')).toEqual({ host: '1.2.3.4', user: 'a b', id: '', x: '=' });
    expect(parsePairs('user="unclosed')).toBeUndefined();
    expect(parsePairs('word')).toBeUndefined();
  });

  test('comments, blank lines, headers, expectations', () => {
    const items = parseFixture('# c\n#\n\n#> mode=a\n#= host=1.2.3.4\n#= host=5.6.7.8\nline one\nline two\n#!not a comment\n#= host=9.9.9.9\n');
    expect(items).toEqual([
      { type: 'header', lineno: 4, values: { mode: 'a' } },
      { type: 'line', lineno: 7, text: 'line one', expect: [{ host: '1.2.3.4' }, { host: '5.6.7.8' }] },
      { type: 'line', lineno: 8, text: 'line two', expect: [] },
      { type: 'line', lineno: 9, text: '#!not a comment', expect: [] },
      { type: 'error', lineno: 10, message: '#= expectation at the end of the file, with no log line after it' },
    ]);
  });
});
