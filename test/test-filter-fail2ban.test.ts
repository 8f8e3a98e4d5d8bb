// fail2ban-regex habits in the built CLI: `test-filter` takes a regex with <HOST>, a fail2ban filter
// (fail2ban:<name> or a .conf path), --ignoreregex, --print-matched and --print-missed (with each line's date).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const built = existsSync(cli);
if (!built && process.env.CI !== 'true') console.warn('skipping test-filter fail2ban tests: packages not built (run pnpm build)');
const fail2ban = existsSync('/etc/fail2ban/filter.d/nginx-http-auth.conf');
if (!fail2ban && process.env.CI === 'true') throw new Error('fail2ban is not installed (apt-get install fail2ban)');

const dir = mkdtempSync(join(tmpdir(), 'pcl-tf-f2b-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'test-filter', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });

describe.skipIf(!built)('test-filter with fail2ban-regex habits', () => {
  it('takes a regex with <HOST> and --ignoreregex', () => {
    const log = join(dir, 'auth.log');
    writeFileSync(
      log,
      ['Feb 25 13:34:10 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2', 'Feb 25 13:34:11 h sshd[2]: Failed password for bob from 192.0.2.2 port 22 ssh2', 'Feb 25 13:34:12 h sshd[3]: Accepted password for bob from 192.0.2.3 port 22 ssh2', ''].join('\n'),
    );
    const all = run('^Failed password for \\S+ from <HOST>', log, '--json');
    expect(all.status).toBe(0);
    expect(all.stdout.trim().split('\n').map((l) => JSON.parse(l).host)).toEqual(['192.0.2.1', '192.0.2.2']);
    const some = run('^Failed password for \\S+ from <HOST>', log, '--json', '--ignoreregex', 'for bob ');
    expect(some.stdout.trim().split('\n').map((l) => JSON.parse(l).host)).toEqual(['192.0.2.1']);
  });

  it('prints matched and missed lines with the date each got, and hits per rule', () => {
    const log = join(dir, 'mixed.log');
    writeFileSync(
      log,
      ['Feb 25 13:34:10 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2', 'Feb 25 13:34:12 h sshd[3]: Accepted password for bob from 192.0.2.3 port 22 ssh2', 'no date here: Failed password for x from 192.0.2.4 port 22 ssh2', ''].join('\n'),
    );
    const r = run('^Failed password for \\S+ from <HOST>', log, '--print-matched', '--print-missed');
    expect(r.status).toBe(0);
    const year = new Date().getUTCFullYear();
    const printed = r.stdout.split('\n').filter((l) => /^(?:matched|missed) /.test(l));
    expect(printed).toEqual([
      `matched      1  ${year}-02-25T13:34:10.000Z  Feb 25 13:34:10 h sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2`,
      `missed       2  ${year}-02-25T13:34:12.000Z  Feb 25 13:34:12 h sshd[3]: Accepted password for bob from 192.0.2.3 port 22 ssh2`,
      'missed       3  no date  no date here: Failed password for x from 192.0.2.4 port 22 ssh2',
    ]);
    // Hits per rule in the summary.
    expect(r.stdout).toMatch(/per rule:\n {2}#0\s+1 {2}\^Failed password/);
    const only = run('^Failed password for \\S+ from <HOST>', log, '--print-missed');
    expect(only.stdout.split('\n').filter((l) => l.startsWith('matched '))).toEqual([]);
    expect(only.stdout.split('\n').filter((l) => l.startsWith('missed ')).length).toBe(2);
  });

  it.skipIf(!fail2ban)('reads a fail2ban filter by name or path', () => {
    const log = join(dir, 'error.log');
    writeFileSync(log, '2024/04/09 11:53:29 [error] 2865#0: *66647 user "xyz" was not found in "/var/www/.htpasswd", client: 192.0.43.10, server: www.myhost.com, request: "GET / HTTP/1.1", host: "www.myhost.com"\n');
    for (const ref of ['fail2ban:nginx-http-auth', '/etc/fail2ban/filter.d/nginx-http-auth.conf']) {
      const r = run(ref, log, '--json');
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).host)).toEqual(['192.0.43.10']);
    }
  });
});
