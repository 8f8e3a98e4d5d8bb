import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingBuild, runCli, waitFor } from './daemon-process.js';
import { jailFolder, useDaemonCleanup } from './jail-daemon.js';

/**
 * `portcullis import fail2ban` on a copy of Debian's /etc/fail2ban with a realistic jail.local: the written
 * config passes check-config, and `start` runs it — in a private network namespace (`unshare -n`), where the
 * imported iptables action bans for real — until both an sshd (native filter) and an nginx-http-auth
 * (fail2ban filter.d file) attacker are banned.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-iptables', 'plugins/action-email', 'plugins/action-nftables']);
const tools = ['/etc/fail2ban/jail.conf', '/usr/bin/unshare', '/usr/sbin/iptables', '/usr/bin/nsenter'];
const missing = tools.find((t) => !existsSync(t));
const why = missing ? `${missing} not found (apt-get install fail2ban iptables util-linux)` : process.getuid?.() !== 0 ? 'not root (unshare -n)' : undefined;
if (why && process.env.CI === 'true') throw new Error(`import fail2ban test: ${why}`);
if (why) console.warn(`skipping the fail2ban import test: ${why}`);

useDaemonCleanup();

const stamp = (d = new Date()) => {
  const p = (n: number) => String(n).padStart(2, '0');
  return { nginx: `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`, iso: d.toISOString() };
};

describe.skipIf(why !== undefined)('portcullis import fail2ban', () => {
  it('maps a jail.local, and the written config bans through the daemon', async () => {
    if (unbuilt) throw new Error(unbuilt);
    const folder = jailFolder('import-fail2ban');
    const { dir } = folder;
    const etc = join(dir, 'fail2ban');
    cpSync('/etc/fail2ban', etc, { recursive: true });
    writeFileSync(
      join(etc, 'jail.local'),
      `[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 10.0.0.0/8
bantime  = 1h
findtime = 10m
maxretry = 3
bantime.increment = true
bantime.maxtime = 1w
destemail = admin@example.com
sender = fail2ban@example.com
banaction = iptables-multiport
ignorecommand = /usr/local/bin/is-friend <ip>

[sshd]
mode = aggressive
backend = auto
logpath = ${dir}/auth.log

[nginx-http-auth]
enabled = true
port = http,https
logpath = ${dir}/nginx-error.log

[postfix]
enabled = true
logpath = ${dir}/mail.log
action = %(action_mw)s

[proftpd]
enabled = true
logpath = ${dir}/proftpd.log
banaction = shorewall

[asterisk]
enabled = true
logpath = ${dir}/asterisk.log
`,
    );
    const out = folder.configPath;
    const imported = await runCli(['import', 'fail2ban', etc, '--out', out]);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const config = JSON.parse(readFileSync(out, 'utf8')) as { plugins: string[]; jails: Record<string, Record<string, unknown>> };
    expect(Object.keys(config.jails).sort()).toEqual(['nginx-http-auth', 'postfix', 'proftpd', 'sshd']);
    expect(config.jails.sshd).toMatchObject({ filter: { id: 'sshd', options: { mode: 'aggressive' } }, logpath: [`${dir}/auth.log`], maxretry: 3, bantime: '1h', findtime: '10m', ignoreip: ['127.0.0.1/8', '::1', '10.0.0.0/8'], port: ['ssh'], actions: ['iptables'], increment: { enabled: true, maxtime: '1w' } });
    expect(config.jails['nginx-http-auth']).toMatchObject({ filter: 'fail2ban:nginx-http-auth', port: ['http', 'https'], actions: ['iptables'] });
    expect(config.jails.postfix).toMatchObject({ filter: 'postfix', actions: ['iptables', { id: 'email', options: { to: 'admin@example.com', from: 'fail2ban@example.com' } }] });
    expect(config.jails.proftpd).toMatchObject({ filter: 'fail2ban:proftpd', actions: [] });
    // asterisk's filter.d rules can backtrack catastrophically: the jail is left out, with how to accept it.
    expect(imported.stdout).toMatch(/jails\.asterisk\.filter: fail2ban:asterisk has \d+ regex(?:es)? that can backtrack catastrophically .*unsafe: true/);
    expect(config.plugins).toEqual(['@portcullis/action-email', '@portcullis/action-iptables', '@portcullis/filter-postfix', '@portcullis/filter-sshd']);
    // The report names what was not mapped, with where it was written.
    expect(imported.stdout).toMatch(/jails\.proftpd\.action: action shorewall has no Portcullis equivalent/);
    expect(imported.stdout).toMatch(new RegExp(`jails\\.sshd: ignorecommand \\(${etc}/jail\\.local:11\\): not mapped`));
    expect(imported.stdout).toMatch(/jails\.postfix\.action: sendmail-whois: whois/);

    // The state files of this test; everything else runs as written.
    folder.writeConfig({ ...config, database: folder.path('state.db'), socket: folder.path('p.sock') });
    for (const f of ['auth.log', 'nginx-error.log', 'mail.log', 'proftpd.log']) writeFileSync(join(dir, f), '');
    const check = await runCli(['check-config', '--config', out]);
    expect(check.code, check.stdout + check.stderr).toBe(0);

    const daemon = folder.daemon({ spawn: { wrap: ['unshare', '-n', '--'] } });
    await daemon.start();
    for (let i = 0; i < 3; i++) {
      const t = stamp();
      appendFileSync(join(dir, 'auth.log'), `${t.iso} gate sshd[4711]: Failed password for root from 192.0.2.31 port 4242 ssh2\n`);
      appendFileSync(join(dir, 'nginx-error.log'), `${t.nginx} [error] 12#0: *3 user "admin": password mismatch, client: 192.0.2.32, server: a, request: "GET / HTTP/1.1", host: "a"\n`);
    }
    const banned = async (jail: string) => (await daemon.json<{ banned: { ip: string }[] }>(['status', jail])).banned.map((b) => b.ip);
    let seen: Record<string, string[]> = {};
    await waitFor(async () => {
      seen = { sshd: await banned('sshd'), nginx: await banned('nginx-http-auth') };
      return seen.sshd!.includes('192.0.2.31') && seen.nginx!.includes('192.0.2.32');
    }, 30_000, () => `both bans, have ${JSON.stringify(seen)}\n--- daemon ---\n${daemon.output}`);
    // The bans are in the kernel of the daemon's namespace, not only in its state.
    const rules = execFileSync('nsenter', ['-t', String(daemon.pid), '-n', 'iptables-save'], { encoding: 'utf8' });
    expect(rules).toMatch(/192\.0\.2\.31/);
    expect(rules).toMatch(/192\.0\.2\.32/);
  }, 90_000);
});
