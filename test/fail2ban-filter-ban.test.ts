import { appendFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingBuild, runCli, waitFor } from './daemon-process.js';
import { jailFolder, useDaemonCleanup } from './jail-daemon.js';

/**
 * fail2ban's own `filter.d/nginx-http-auth.conf` (read from /etc/fail2ban) and a filter written in the config,
 * each through a real `portcullis start` to a ban: nginx's error log and an app log appended to, the bans
 * recorded by the dry-run action. check-config accepts the same file first.
 */
const unbuilt = missingBuild([]);
const fail2ban = existsSync('/etc/fail2ban/filter.d/nginx-http-auth.conf');
if (!fail2ban && process.env.CI === 'true') throw new Error('fail2ban is not installed: CI needs /etc/fail2ban/filter.d (apt-get install fail2ban)');
if (!fail2ban) console.warn('skipping the fail2ban filter × daemon test: /etc/fail2ban/filter.d/nginx-http-auth.conf not found (apt-get install fail2ban)');

const MAXRETRY = 3;
useDaemonCleanup();

/** nginx's error-log date: local time, `YYYY/MM/DD HH:MM:SS`. */
function nginxDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const nginxLine = (ip: string, user: string): string =>
  `${nginxDate()} [error] 2865#0: *66647 user "${user}": password mismatch, client: ${ip}, server: www.example.com, request: "GET /private HTTP/1.1", host: "www.example.com"\n`;

interface BanEvent {
  event: string;
  jail: string;
  ip: string;
  failures: number;
}

describe.skipIf(!fail2ban)('a fail2ban filter.d file and a config filter, through the daemon to a ban', () => {
  it('fail2ban:nginx-http-auth and filters.myapp each ban their attacker', async () => {
    if (unbuilt) throw new Error(unbuilt);
    const folder = jailFolder('fail2ban-filter-ban');
    const nginxLog = folder.emptyFile('error.log');
    const appLog = folder.emptyFile('app.log');
    const actions = [folder.dryRun()];
    const file = folder.writeConfig(
      folder.config({
        plugins: [], // both filters come from the config: no plugin package
        defaults: { maxretry: MAXRETRY, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: {
          nginx: { filter: 'fail2ban:nginx-http-auth', logpath: nginxLog, actions },
          myapp: { filter: 'myapp', logpath: appLog, actions },
        },
        extra: {
          filters: {
            myapp: { failregex: ['^login failed for <F-USER>\\S+</F-USER> from <HOST>$'], ignoreregex: ['^login failed for monitor '] },
          },
        },
      }),
    );
    const check = await runCli(['check-config', '--config', file]);
    expect(check, check.stdout + check.stderr).toMatchObject({ code: 0 });

    const daemon = folder.daemon();
    await daemon.start();
    // A line the fail2ban filter must not take (another nginx error), and an ignored user of the app.
    appendFileSync(nginxLog, `${nginxDate()} [error] 2865#0: *1 open() "/x" failed (2: No such file or directory), client: 192.0.2.99, server: a, request: "GET /x HTTP/1.1", host: "a"\n`);
    for (let i = 0; i < MAXRETRY; i++) {
      appendFileSync(nginxLog, nginxLine('192.0.2.21', 'admin'));
      appendFileSync(appLog, `${new Date().toISOString()} login failed for monitor from 198.51.100.99\n`);
      appendFileSync(appLog, `${new Date().toISOString()} login failed for bob from 198.51.100.21\n`);
    }
    const events = () => folder.bans<BanEvent>();
    const banned = (jail: string, ip: string) => events().some((e) => e.event === 'ban' && e.jail === jail && e.ip === ip);
    await waitFor(() => banned('nginx', '192.0.2.21') && banned('myapp', '198.51.100.21'), 30_000, () => `both bans\n${JSON.stringify(events())}\n--- daemon ---\n${daemon.output}`);
    const bans = events()
      .filter((e) => e.event === 'ban')
      .map(({ jail, ip, failures }) => ({ jail, ip, failures }))
      .sort((a, b) => a.jail.localeCompare(b.jail));
    expect(bans).toEqual([
      { jail: 'myapp', ip: '198.51.100.21', failures: MAXRETRY },
      { jail: 'nginx', ip: '192.0.2.21', failures: MAXRETRY },
    ]);
    const status = await daemon.json<{ totalFailed: number }>(['status', 'nginx']);
    expect(status.totalFailed).toBe(MAXRETRY);
  }, 60_000);
});
