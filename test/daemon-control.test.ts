import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DaemonProcess, runCli, waitFor } from './daemon-process.js';
import { type JailFolder, freeLocalPort, jailFolder, sshdFailure, useBuiltDaemons } from './jail-daemon.js';

/**
 * The built daemon driven from outside: client commands and their exit codes, reload (by command and by
 * SIGHUP, invalid configs refused with their problems), a second daemon refused, start errors without
 * stack traces, the metrics endpoint, JSON logs, and `stop`.
 */
let folder: JailFolder;
let dir = '';

const line = (ip: string) => sshdFailure(ip, 7);

function config(extra: Record<string, unknown> = {}, jails: Record<string, unknown> = {}): Record<string, unknown> {
  return folder.config({
    defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [] },
    jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [folder.dryRun()] }, ...jails },
    extra: { socket: join(dir, 'run/p.sock'), ...extra },
  });
}

const write = (c: Record<string, unknown>) => folder.writeConfig(c);

async function started(args: string[] = []): Promise<DaemonProcess> {
  const d = folder.daemon({ args });
  await d.start();
  return d;
}

function useFolder(name: string): void {
  folder = jailFolder(name);
  dir = folder.dir;
}

describe('the daemon driven by the client', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('answers the client, reloads (refusing an invalid config), refuses a second daemon, and stops', async () => {
    useFolder('control');
    writeFileSync(join(dir, 'auth.log'), '');
    const port = await freeLocalPort();
    write(config({ metrics: { listen: `127.0.0.1:${port}` } }));
    const d = await started(['--log-format', 'json']);
    expect(statSync(join(dir, 'run/p.sock')).mode & 0o777).toBe(0o600);
    // JSON logs: every line parses.
    for (const l of d.output.trim().split('\n')) expect(JSON.parse(l)).toHaveProperty('level');

    expect(await d.client(['ping'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^pong/) });
    appendFileSync(join(dir, 'auth.log'), line('203.0.113.5') + line('203.0.113.5'));
    await waitFor(async () => (await d.json<{ ip: string }[]>(['banned'])).length === 1, 30_000, () => d.output);
    expect((await d.client(['status'])).stdout).toMatch(/sshd\s+sshd\s+0\s+2\s+1\s+1/);
    expect(await d.client(['status', 'nope'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no jail named "nope"') });
    expect(await d.client(['ban', 'sshd', '203.0.113.6'])).toMatchObject({ code: 0, stdout: 'banned: 203.0.113.6\n' });
    expect((await d.client(['ban', 'sshd', 'nonsense'])).code).toBe(1);

    // Metrics from the real daemon.
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^portcullis_failures_total\{jail="sshd"\} 2$/m);
    expect(metrics).toMatch(/^portcullis_banned\{jail="sshd"\} 2$/m);

    // An invalid config: refused with its problems, the running one stays.
    write({ ...config(), defaults: { maxretry: -1 } });
    const bad = await d.client(['reload']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/maxretry/);
    expect((await d.json<{ ip: string }[]>(['banned'])).map((b) => b.ip).sort()).toEqual(['203.0.113.5', '203.0.113.6']);

    // A valid config with a second jail: reload keeps the bans and adds the jail.
    writeFileSync(join(dir, 'other.log'), '');
    write(config({}, { other: { filter: 'sshd', logpath: join(dir, 'other.log'), actions: ['dry-run'] } }));
    expect(await d.client(['reload'])).toMatchObject({ code: 0, stdout: 'reloaded; jails: sshd, other\n' });
    expect((await d.json<{ jails: { name: string }[] }>(['status'])).jails.map((j) => j.name)).toEqual(['sshd', 'other']);
    expect((await d.json<unknown[]>(['banned'])).length).toBe(2);

    // SIGHUP reloads too: back to one jail.
    write(config());
    process.kill(d.pid!, 'SIGHUP');
    await waitFor(async () => (await d.json<{ jails: unknown[] }>(['status'])).jails.length === 1, 30_000, () => d.output);
    // And an invalid config on SIGHUP is logged with its problems, the daemon keeps running.
    write({ ...config(), jails: { sshd: { filter: 'no-such-filter', logpath: join(dir, 'auth.log') } } });
    process.kill(d.pid!, 'SIGHUP');
    await waitFor(() => d.output.includes('reload failed'), 30_000, () => d.output);
    expect(d.output).toContain('no-such-filter');
    expect((await d.client(['ping'])).code).toBe(0);
    write(config());

    // A second daemon on the same socket refuses to start, and leaves the first one alone.
    const second = await runCli(['start', '--config', join(dir, 'portcullis.config.json')]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('already running');
    expect(second.stderr).not.toMatch(/\n\s+at /);
    expect((await d.client(['ping'])).code).toBe(0);
    expect((await d.json<unknown[]>(['banned'])).length).toBe(2);

    // stop returns once the daemon has exited; then nothing answers (exit 3).
    expect(await d.client(['stop'])).toMatchObject({ code: 0, stdout: 'stopped\n' });
    expect(d.pid).toBeUndefined();
    expect(existsSync(join(dir, 'run/p.sock'))).toBe(false);
    expect(await d.client(['ping'])).toMatchObject({ code: 3 });
    expect(await d.client(['status', '--json'])).toMatchObject({ code: 3, stdout: expect.stringContaining('NO_DAEMON') });
  }, 60_000);

  it('reports start errors without a stack trace: exit 2 with the problems', async () => {
    useFolder('control-bad');
    write({ ...config(), defaults: { maxretry: 0, bantime: 'soon' } });
    const r = await runCli(['start', '--config', join(dir, 'portcullis.config.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/maxretry/);
    expect(r.stderr).toMatch(/bantime/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'state.db'))).toBe(false);
    expect((await runCli(['start', '--config', join(dir, 'missing.json')])).code).toBe(2);
    // The usage error of a client command.
    expect((await runCli(['unban', '--socket', join(dir, 'x.sock')])).code).toBe(2);
  }, 30_000);

  it('stops cleanly on SIGINT and writes its bans before exiting', async () => {
    useFolder('control-int');
    writeFileSync(join(dir, 'auth.log'), '');
    write(config());
    const d = await started();
    appendFileSync(join(dir, 'auth.log'), line('203.0.113.9') + line('203.0.113.9'));
    await waitFor(() => existsSync(join(dir, 'bans.jsonl')) && readFileSync(join(dir, 'bans.jsonl'), 'utf8').includes('203.0.113.9'), 30_000, () => d.output);
    expect(await d.stop('SIGINT')).toBe(0);
    expect(d.output).toMatch(/stopping \(SIGINT\)[\s\S]*stopped/);
  }, 30_000);
});
