import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FilterDefinition } from '@portcullis/core';
import { afterAll, describe, expect, test } from 'vitest';
import { runTestFilter } from '../src/commands/test-filter.js';

const filter: FilterDefinition = {
  id: 'mini-sshd',
  programs: ['sshd'],
  options: { mode: { values: ['normal', 'aggressive'], default: 'normal' } },
  failregex: [
    { pattern: '^Failed password for (?:invalid user )?<F-USER>.+</F-USER> from <HOST> port \\d+ ssh2$', description: 'failed password' },
    { pattern: '^Connection closed by <HOST> port \\d+ \\[preauth\\]$', when: { mode: ['aggressive'] } },
    '^session <F-ID>\\w+</F-ID> refused for <HOST>$',
  ],
};

const dir = mkdtempSync(join(tmpdir(), 'pcl-test-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const log = [
  'Feb 25 13:34:10 web1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2',
  'Feb 25 13:34:11 web1 sshd[2]: Failed password for invalid user "q\\ from 2001:DB8::1 port 22 ssh2',
  'Feb 25 13:34:12 web1 sshd[3]: Connection closed by 192.0.2.3 port 22 [preauth]',
  'Feb 25 13:34:13 web1 cron[4]: Failed password for root from 192.0.2.4 port 22 ssh2',
  'session ab12 refused for 192.0.2.5',
  `Feb 25 13:34:14 web1 sshd[5]: ${'x'.repeat(20_000)}`,
].join('\n');
const file = join(dir, 'auth.log');
writeFileSync(file, `${log}\n`);

async function run(args: { input?: string; json?: boolean; options?: Record<string, string> }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await runTestFilter({
    definition: filter,
    options: args.options ?? {},
    input: args.input ?? file,
    format: 'auto',
    json: args.json ?? false,
    stdout,
    stderr,
  });
  return { code, out, err };
}

describe('runTestFilter', () => {
  test('--json: exactly one object per failure, nothing else', async () => {
    const { code, out, err } = await run({ json: true });
    expect(code).toBe(0);
    expect(err).toBe('');
    const year = new Date().getUTCFullYear();
    const rows = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(rows).toEqual([
      { lineno: 1, filter: 'mini-sshd', host: '192.0.2.1', time: expect.stringMatching(/T\d\d:34:10\.000Z$/), user: 'root' },
      { lineno: 2, filter: 'mini-sshd', host: '2001:db8::1', time: expect.stringMatching(/:34:11\.000Z$/), user: '"q\\' },
      { lineno: 5, filter: 'mini-sshd', host: '192.0.2.5', time: null, id: 'ab12' },
    ]);
    expect(Number(rows[0].time.slice(0, 4))).toBeLessThanOrEqual(year);
  });

  test('options select rules', async () => {
    const { out } = await run({ json: true, options: { mode: 'aggressive' } });
    expect(out.trimEnd().split('\n').map((l) => JSON.parse(l).lineno)).toEqual([1, 2, 3, 5]);
  });

  test('human report: counts, per-rule numbers, samples', async () => {
    const { code, out } = await run({});
    expect(code).toBe(0);
    expect(out).toMatch(/lines read:\s+6\n/);
    expect(out).toMatch(/matched:\s+3\n/);
    expect(out).toMatch(/missed:\s+3\n/);
    expect(out).toMatch(/truncated:\s+1\n/);
    expect(out).toMatch(/lines without date:\s+1\n/);
    expect(out).toMatch(/#0\s+2\s+failed password/);
    expect(out).toMatch(/#1\s+1\s+\^session/);
    expect(out).toContain('line 1: 192.0.2.1 user=root');
  });

  test('unreadable input: message on stderr, exit code 2', async () => {
    const { code, out, err } = await run({ input: join(dir, 'missing.log') });
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('missing.log');
    expect(err).toContain('ENOENT');
  });

  test('invalid option: message on stderr, exit code 2', async () => {
    const { code, err } = await run({ options: { mode: 'nope' } });
    expect(code).toBe(2);
    expect(err).toContain('valid values: normal, aggressive');
    expect(err.endsWith('\n')).toBe(true);
  });

  test('large input is read in chunks: 300,000 lines', async () => {
    const big = join(dir, 'big.log');
    const line = 'Feb 25 13:34:10 web1 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2\n';
    writeFileSync(big, line.repeat(300_000));
    const { out } = await run({ input: big, json: true });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBe(300_000);
    expect(JSON.parse(lines[299_999]!).lineno).toBe(300_000);
  });
});
