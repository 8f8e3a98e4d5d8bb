import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './daemon-process.js';
import { jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * Dates through the daemon. A line without a date it recognises is not counted (it may be years old: a
 * backlog read with `logstart: start`), unless the jail says its log has no dates (`datepattern: '{NONE}'`,
 * arrival time). A jail's own datepattern reads its format; nginx's `YYYY/MM/DD HH:MM:SS` is known by default.
 * check-config refuses a datepattern with an unknown code, with its path.
 */

const failure = (ip: string) => `Failed password for root from ${ip} port 4242 ssh2`;
const pad = (n: number) => String(n).padStart(2, '0');
/** `DD.MM.YYYY HH:MM:SS` (local), a format no default knows. */
const dotted = (d: Date) => `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
/** nginx's `YYYY/MM/DD HH:MM:SS` (local). */
const nginx = (d: Date) => `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

type Status = { name: string; totalFailed: number; sources: string[]; banned: { ip: string }[] };

describe('daemon: dates of lines', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('counts no dateless line unless the jail says {NONE}; reads a jail datepattern and nginx dates', async () => {
    const folder = jailFolder('dates');
    const dir = folder.dir;
    // An old log without dates, read from its start by two jails: three failures for each of three hosts.
    const backlog = ['203.0.113.11', '203.0.113.12', '203.0.113.13'].flatMap((ip) => [failure(ip), failure(ip), failure(ip)]).join('\n');
    writeFileSync(join(dir, 'old.log'), `${backlog}\n`);
    writeFileSync(join(dir, 'dotted.log'), '');
    writeFileSync(join(dir, 'nginx.log'), '');
    const jd = await folder.start({
      defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ignoreip: [], logstart: 'start', actions: [folder.dryRun()] },
      jails: {
        old: { filter: 'sshd', logpath: join(dir, 'old.log') },
        // The same file, so the same source: its lines are read once and dated twice, once per datepattern.
        arrival: { filter: 'sshd', logpath: join(dir, 'old.log'), datepattern: '{NONE}' },
        dotted: { filter: 'sshd', logpath: join(dir, 'dotted.log'), datepattern: '{^LN-BEG}%d.%m.%Y %H:%M:%S' },
        nginx: { filter: 'sshd', logpath: join(dir, 'nginx.log') },
      },
    });
    const { daemon } = jd;
    const status = (jail: string) => jd.status<Status>(jail);

    // {NONE}: the same backlog counts, at its arrival, and bans all three hosts.
    await jd.until(async () => (await status('arrival')).banned.length === 3, 'three bans in arrival');
    expect((await status('arrival')).totalFailed).toBe(9);

    // A datepattern jail: lines of now count, a line of 2020 does not.
    const now = new Date();
    const old = new Date(2020, 0, 1, 12, 0, 0);
    appendFileSync(join(dir, 'dotted.log'), [old, now, now, now].map((d, i) => `${dotted(d)} host sshd[9]: ${failure(i === 0 ? '198.51.100.9' : '198.51.100.1')}\n`).join(''));
    // nginx's own date format is recognised without any setting.
    appendFileSync(join(dir, 'nginx.log'), [now, now, now].map((d) => `${nginx(d)} ${failure('203.0.113.1')}\n`).join(''));
    await jd.until(async () => (await status('dotted')).banned.length === 1 && (await status('nginx')).banned.length === 1, 'bans in dotted and nginx');
    expect((await status('dotted')).totalFailed).toBe(3);
    expect((await status('nginx')).totalFailed).toBe(3);

    // The same dateless backlog, read by the jail without datepattern, counted nothing and banned nothing.
    const oldStatus = await status('old');
    expect(oldStatus.totalFailed).toBe(0);
    expect(oldStatus.banned).toEqual([]);
    expect(oldStatus.sources).toEqual((await status('arrival')).sources); // one source, read once
    expect(jd.bans().filter((b) => b.jail === 'old')).toEqual([]);
    expect(jd.bans().filter((b) => b.event === 'ban').map((b) => `${b.jail} ${b.ip}`).sort()).toEqual([
      'arrival 203.0.113.11',
      'arrival 203.0.113.12',
      'arrival 203.0.113.13',
      'dotted 198.51.100.1',
      'nginx 203.0.113.1',
    ]);
    // Said once for the jail, with what to do about it.
    const warnings = daemon.output.split('\n').filter((l) => l.includes('has no date this jail recognises'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/\[old\]/);
  }, 60_000);

  it('check-config refuses an unknown date code, with the path of the setting', async () => {
    const folder = jailFolder('dates-check');
    const config = folder.writeConfig(folder.config({ jails: { web: { filter: 'sshd', logpath: folder.path('x.log'), datepattern: '%Y-%m-%d %H:%M:%Q' } } }));
    const r = await runCli(['check-config', '--config', config]);
    expect(r.code).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/jails\.web\.datepattern: unknown date code %Q/);
    // start refuses the same config.
    const start = await runCli(['start', '--config', config]);
    expect(start.code).not.toBe(0);
    expect(`${start.stdout}${start.stderr}`).toMatch(/jails\.web\.datepattern: unknown date code %Q/);
  }, 60_000);
});
