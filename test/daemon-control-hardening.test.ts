import { rmSync, writeFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/**
 * The built daemon and client where the field found them wanting: idle connections filling the socket,
 * an empty request line, exit statuses that say whether anything happened, control characters in what
 * the client prints, and `reload` applying a changed `loglevel` to every jail's logger.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
/** Retitles the terminal, then clears it (no NUL: neither file names nor argv can hold one). */
const HOSTILE = '\x1b]0;PWNED\x07\x1b[2J';
let dir = '';
let daemon: DaemonProcess | undefined;
const sockets: Socket[] = [];

function write(extra: Record<string, unknown> = {}, logName = 'auth.log'): string {
  writeFileSync(join(dir, logName), '');
  const config = {
    plugins: ['@portcullis/filter-sshd'],
    database: join(dir, 'state.db'),
    socket: join(dir, 'run/p.sock'),
    // ignoreself off: a shared test machine may carry documentation addresses on its interfaces.
    defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [], ignoreself: false },
    jails: { sshd: { filter: 'sshd', logpath: join(dir, logName), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
    ...extra,
  };
  const file = join(dir, 'portcullis.config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('the control socket and client under misuse', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await daemon?.stop('SIGKILL');
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('serves status past 64 idle half-written connections, and answers an empty line', async () => {
    dir = repoTempDir('hardening-idle');
    daemon = new DaemonProcess(write());
    await daemon.start();
    for (let i = 0; i < 64; i++) {
      const s = connect(join(dir, 'run/p.sock'));
      s.on('error', () => {});
      sockets.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
      s.write('{"v":1,"id":3,"cmd":"st'); // never finished
    }
    expect(await daemon.client(['status'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^sshd\s+sshd/m) });
    expect((await daemon.client(['ping'])).code).toBe(0);

    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(join(dir, 'run/p.sock'));
      sockets.push(s);
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out);
      });
      s.on('error', reject);
      s.write('\n');
    });
    expect(JSON.parse(answer)).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_REQUEST' } });
  }, 60_000);

  it('exits 1 when nothing that was asked happened, and says why', async () => {
    dir = repoTempDir('hardening-exit');
    daemon = new DaemonProcess(write());
    await daemon.start();
    expect(await daemon.client(['unban', 'not-an-ip'])).toMatchObject({ code: 1, stdout: 'nothing unbanned\ninvalid addresses: not-an-ip\n' });
    expect(await daemon.client(['unban', '192.0.2.1'])).toMatchObject({ code: 1, stdout: 'nothing unbanned\nnot banned: 192.0.2.1\n' });
    expect(await daemon.client(['banned', '192.0.2.1'])).toMatchObject({ code: 1, stdout: 'not banned: 192.0.2.1\n' });
    expect(await daemon.client(['banned', 'nonsense'])).toMatchObject({ code: 1, stderr: expect.stringContaining('"nonsense" is not an IP address') });
    expect(await daemon.client(['unban', '--all'])).toMatchObject({ code: 1, stdout: 'nothing unbanned\n' });
    expect(await daemon.client(['ban', 'sshd', '192.0.2.1'])).toMatchObject({ code: 0, stdout: 'banned: 192.0.2.1\n' });
    expect(await daemon.client(['ban', 'sshd', '192.0.2.1'])).toMatchObject({ code: 1, stdout: 'already banned: 192.0.2.1\n' });
    expect(await daemon.client(['ban', 'sshd', '192.0.2.2', '192.0.2.1'])).toMatchObject({ code: 0, stdout: 'banned: 192.0.2.2\nalready banned: 192.0.2.1\n' });
    expect((await daemon.client(['banned', '192.0.2.1'])).code).toBe(0);
    expect(await daemon.client(['unban', '192.0.2.1', 'bogus'])).toMatchObject({ code: 1, stdout: 'unbanned: 192.0.2.1 (sshd)\ninvalid addresses: bogus\n' });
    expect(await daemon.client(['unban', '192.0.2.2'])).toMatchObject({ code: 0, stdout: 'unbanned: 192.0.2.2 (sshd)\n' });
    expect(await daemon.client(['unban', '--all', '--jail', 'nope'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no jail named "nope"') });
  }, 60_000);

  it('prints control characters escaped, never raw', async () => {
    dir = repoTempDir('hardening-escape');
    // A log file whose name carries terminal commands (a glob can match files others create).
    daemon = new DaemonProcess(write({}, `auth${HOSTILE}.log`));
    await daemon.start();
    for (const args of [['status'], ['status', 'sshd'], ['unban', `x${HOSTILE}`], ['ban', 'nope', `y${HOSTILE}`], ['banned', `z${HOSTILE}`]]) {
      const r = await daemon.client(args);
      expect(r.stdout + r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    }
    const status = await daemon.client(['status', 'sshd']);
    expect(status.stdout).toContain('auth\\x1b]0;PWNED\\x07\\x1b[2J.log');
    // --json keeps the name intact (JSON escapes it).
    expect((await daemon.json<{ sources: string[] }>(['status', 'sshd'])).sources[0]).toContain(`auth${HOSTILE}.log`);
    // The daemon's own log lines too.
    expect(daemon.output).toMatch(/auth\\u001b\]0;PWNED\\u0007/);
    expect(daemon.output).not.toContain('\x1b');
  }, 60_000);

  it('applies a changed loglevel on reload, to every jail', async () => {
    dir = repoTempDir('hardening-loglevel');
    const file = write({ loglevel: 'info' });
    daemon = new DaemonProcess(file);
    await daemon.start();
    expect(await daemon.client(['ban', 'sshd', '198.51.100.1'])).toMatchObject({ code: 0 });
    await waitFor(() => daemon!.output.includes('ban 198.51.100.1'), 10_000, () => daemon!.output);

    write({ loglevel: 'warn' });
    expect((await daemon.client(['reload'])).code).toBe(0);
    await waitFor(() => daemon!.output.includes('log level info → warn'), 10_000, () => daemon!.output);
    expect(await daemon.client(['ban', 'sshd', '198.51.100.2'])).toMatchObject({ code: 0 });

    write({ loglevel: 'debug' });
    expect((await daemon.client(['reload'])).code).toBe(0);
    expect(await daemon.client(['ban', 'sshd', '198.51.100.3'])).toMatchObject({ code: 0 });
    await waitFor(() => daemon!.output.includes('ban 198.51.100.3'), 10_000, () => daemon!.output);
    // Logged in order: the ban made at warn left no line, the one after went back to info and did.
    expect(daemon.output).not.toContain('ban 198.51.100.2');
    expect(daemon.output).toContain('log level warn → debug');
    // At debug the jail's own debug lines show (each address of a bulk unban).
    expect((await daemon.client(['unban', '--all'])).code).toBe(0);
    await waitFor(() => /DEBUG \[sshd\] unban 198\.51\.100\.3/.test(daemon!.output), 10_000, () => daemon!.output);
  }, 60_000);

  it('keeps --log-level from the command line over the config on reload, and says so', async () => {
    dir = repoTempDir('hardening-loglevel-cli');
    daemon = new DaemonProcess(write({ loglevel: 'info' }), ['--log-level', 'info']);
    await daemon.start();
    write({ loglevel: 'warn' });
    expect((await daemon.client(['reload'])).code).toBe(0);
    await waitFor(() => daemon!.output.includes('--log-level info given at start takes precedence'), 10_000, () => daemon!.output);
    expect(await daemon.client(['ban', 'sshd', '198.51.100.9'])).toMatchObject({ code: 0 });
    await waitFor(() => daemon!.output.includes('ban 198.51.100.9'), 10_000, () => daemon!.output);
  }, 60_000);
});
