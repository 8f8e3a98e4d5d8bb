import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The built CLI's `test-filter --json` writes stdout straight to fd 1 from the thread pool: a file gets
 * every record, a pipe whose reader goes away ends the run quietly, and stdin works as input.
 */
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const built = existsSync(cli) && existsSync(join(root, 'plugins/filter-sshd/dist/index.js'));
if (!built && process.env.CI !== 'true') console.warn('skipping test-filter CLI tests: packages not built (run pnpm build)');

const dir = mkdtempSync(join(tmpdir(), 'pcl-tf-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 60_000;
const log = join(dir, 'auth.log');
const lines: string[] = [];
for (let i = 0; i < LINES; i++) {
  const host = `198.51.${(i >> 8) & 255}.${i & 255}`;
  lines.push(
    i % 3 === 0
      ? `Feb 25 13:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:10 web1 sshd[${1000 + i}]: Failed password for root from ${host} port 22 ssh2`
      : `Feb 25 13:34:10 web1 CRON[${i}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
  );
}
writeFileSync(log, `${lines.join('\n')}\n`);
const expected = Math.ceil(LINES / 3);

function run(args: string[], stdout: 'pipe' | number, input?: string): Promise<{ code: number | null; out: string; err: string; child: ReturnType<typeof spawn> }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: [input === undefined ? 'ignore' : 'pipe', stdout, 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdin?.on('error', () => {}); // a CLI that exits before reading all of it closes the pipe
    if (input !== undefined) child.stdin?.end(input);
    child.on('close', (code) => done({ code, out, err, child }));
  });
}

// Under CI the build is part of `pnpm test`: a missing CLI there is a failure, not a skip.
describe.skipIf(!built && process.env.CI !== 'true')('test-filter CLI output', () => {
  it('writes every record to a file', async () => {
    const target = join(dir, 'out.jsonl');
    const fd = openSync(target, 'w');
    const { code, err } = await run(['test-filter', 'sshd', log, '--json'], fd);
    closeSync(fd);
    expect(err).toBe('');
    expect(code).toBe(0);
    const rows = readFileSync(target, 'utf8').trimEnd().split('\n');
    expect(rows.length).toBe(expected);
    expect(JSON.parse(rows[0]!)).toMatchObject({ lineno: 1, filter: 'sshd', host: '198.51.0.0', user: 'root' });
    expect(JSON.parse(rows.at(-1)!).lineno).toBe(Math.floor((LINES - 1) / 3) * 3 + 1);
  });

  it('writes every record to a pipe, in order', async () => {
    const { code, out } = await run(['test-filter', 'sshd', log, '--json'], 'pipe');
    expect(code).toBe(0);
    const linenos = out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { lineno: number }).lineno);
    expect(linenos.length).toBe(expected);
    expect(linenos.every((n, i) => n === i * 3 + 1)).toBe(true);
  });

  it('ends quietly when the reader goes away', async () => {
    const result = await new Promise<{ code: number | null; err: string }>((done) => {
      const child = spawn(process.execPath, [cli, 'test-filter', 'sshd', log, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (code) => done({ code, err }));
    });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
  });

  it('reads stdin', async () => {
    const { code, out } = await run(['test-filter', 'sshd', '-', '--json'], 'pipe', `${lines.slice(0, 30).join('\n')}\n`);
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').length).toBe(10);
  });

  it('escapes terminal commands and NUL bytes from log lines in its text output', async () => {
    // A user name that retitles the terminal, clears it and hides the rest behind a NUL.
    const hostile = join(dir, 'hostile.log');
    writeFileSync(hostile, 'Feb 25 13:34:10 web1 sshd[1]: Failed password for invalid user x\x1b]0;PWNED\x07\x1b[2J\x00\x9b from 192.0.2.66 port 22 ssh2\n');
    const text = await run(['test-filter', 'sshd', hostile], 'pipe');
    expect(text.code).toBe(0);
    expect(text.out).toContain('failures:          1');
    expect(text.out).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(text.out).toContain('x\\x1b]0;PWNED\\x07\\x1b[2J\\x00\\x9b from 192.0.2.66');
    // JSON keeps the text exact (its own escapes).
    const json = await run(['test-filter', 'sshd', hostile, '--json'], 'pipe');
    expect(JSON.parse(json.out).user).toBe('x\x1b]0;PWNED\x07\x1b[2J\x00\x9b');
  });
  it('counts failures per host with --hosts, as many as --json reports for each', async () => {
    // Hosts failing 1 to 4 times, an IPv6 one among them, and lines of other programs in between.
    const counted = join(dir, 'counted.log');
    const rows: string[] = [];
    const hosts = ['192.0.2.7', '2001:db8::1', '198.51.100.9', '203.0.113.4'];
    hosts.forEach((host, i) => {
      for (let k = 0; k <= i; k++) rows.push(`Feb 25 13:34:1${k} web1 sshd[${100 + i}]: Failed password for root from ${host} port 22 ssh2`);
      rows.push(`Feb 25 13:34:19 web1 CRON[${i}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
    });
    writeFileSync(counted, `${rows.join('\n')}\n`);
    const { code, out, err } = await run(['test-filter', 'sshd', counted, '--hosts'], 'pipe');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([
      { host: '203.0.113.4', failures: 4 },
      { host: '198.51.100.9', failures: 3 },
      { host: '2001:db8::1', failures: 2 },
      { host: '192.0.2.7', failures: 1 },
    ]);
    // The big log: every host's count equals its records in --json.
    const [perHost, records] = await Promise.all([run(['test-filter', 'sshd', log, '--hosts'], 'pipe'), run(['test-filter', 'sshd', log, '--json'], 'pipe')]);
    const fromJson = new Map<string, number>();
    for (const l of records.out.trimEnd().split('\n')) {
      const host = (JSON.parse(l) as { host: string }).host;
      fromJson.set(host, (fromJson.get(host) ?? 0) + 1);
    }
    const fromHosts = new Map(perHost.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { host: string; failures: number }).map((o) => [o.host, o.failures]));
    expect(fromHosts.size).toBe(expected);
    expect(fromHosts).toEqual(fromJson);
  });

  it('refuses --json with --hosts', async () => {
    const { code, out, err } = await run(['test-filter', 'sshd', log, '--json', '--hosts'], 'pipe');
    expect(code).not.toBe(0);
    expect(out).toBe('');
    expect(err).toMatch(/--json.*cannot be used with.*--hosts/);
  });
});

/**
 * A large file is read by several threads (`--threads`, by default for 16 MiB or more): each worker builds
 * the same filter from the command line. sshd correlates lines by pid, so each thread takes its share of the
 * processes; a filter given as a regex keeps nothing between lines, so threads take chunks of the file.
 * Whatever the threads, the output is the one a single thread gives.
 */
describe.skipIf(!built && process.env.CI !== 'true')('test-filter read by several threads', () => {
  // 150,000 lines of the bench's auth.log (15 MB): sessions, PAM lines before sshd's, IPv4 and IPv6.
  const gen = spawnSync(process.execPath, [join(root, 'bench/generate-auth-log.mjs'), '--lines', '150000', '--out', dir, '--name', 'big'], { encoding: 'utf8' });
  const big = join(dir, 'big.log');
  const withoutThreads = (summary: string) => summary.replace(/^threads: .*\n/m, '');

  it.each([
    ['sshd', []],
    ['sshd', ['--option', 'mode=aggressive']],
    ['Failed \\S+ for (?:invalid user )?\\S+ from <HOST> port \\d+', []],
  ])('%s %s: the summary and --hosts of 3 threads are those of 1', async (filter, options) => {
    expect(gen.status, gen.stderr).toBe(0);
    const [one, three, hostsOne, hostsThree] = await Promise.all([
      run(['test-filter', filter, big, ...options, '--threads', '1'], 'pipe'),
      run(['test-filter', filter, big, ...options, '--threads', '3'], 'pipe'),
      run(['test-filter', filter, big, ...options, '--threads', '1', '--hosts'], 'pipe'),
      run(['test-filter', filter, big, ...options, '--threads', '3', '--hosts'], 'pipe'),
    ]);
    for (const r of [one, three, hostsOne, hostsThree]) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
    }
    expect(one.out).toMatch(/^threads: +1$/m);
    expect(three.out).toMatch(/^threads: +3$/m);
    expect(withoutThreads(three.out)).toBe(withoutThreads(one.out));
    expect(Number(/^failures: +(\d+)$/m.exec(one.out)?.[1])).toBeGreaterThan(20_000);
    expect(Number(/^lines read: +(\d+)$/m.exec(one.out)?.[1])).toBe(150_000);
    expect(hostsThree.out).toBe(hostsOne.out);
    expect(hostsOne.out.split('\n').length).toBeGreaterThan(5_000);
  });

  it('reads a file under 16 MiB in one thread unless asked, and --json always', async () => {
    const [auto, json] = await Promise.all([run(['test-filter', 'sshd', big], 'pipe'), run(['test-filter', 'sshd', log, '--json', '--threads', '3'], 'pipe')]);
    expect(auto.out).toMatch(/^threads: +1$/m);
    const linenos = json.out.trimEnd().split('\n').map((l) => (JSON.parse(l) as { lineno: number }).lineno);
    expect(linenos.every((n, i) => n === i * 3 + 1)).toBe(true);
  });

  it('refuses a thread count that is not a whole number from 1 to 64', async () => {
    for (const bad of ['0', '65', 'two', '1.5']) {
      const r = await run(['test-filter', 'sshd', big, '--threads', bad], 'pipe');
      expect(r.code, bad).not.toBe(0);
      expect(r.err, bad).toMatch(/--threads.*whole number from 1 to 64/);
    }
  });
});
