import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PortcullisError, silentLogger } from '@portcullis/core';
import { MemoryBanStore, Runtime, parseConfig } from '@portcullis/core/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, runBan, runBanned, runClientCommand, runPing, runReload, runStatus, runUnban } from '../src/commands/client-commands.js';
import { request } from '../src/control/control-client.js';
import { startControlServer } from '../src/control/control-server.js';

const plugin = resolve(import.meta.dirname, '../../../packages/core/test/fixtures/config/test-plugin.mjs');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real Runtime (demo filter on a log file, memory store) behind a real control server. */
async function daemon(options: { reloadError?: Error } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'control-'));
  const log = join(dir, 'demo.log');
  writeFileSync(log, '');
  const config = await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: log, bantime: '1h', maxretry: 2, ignoreip: [] } } }, { dir });
  const runtime = new Runtime({ config, store: new MemoryBanStore(), logger: silentLogger });
  await runtime.start();
  let stops = 0;
  let reloads: (string | undefined)[] = [];
  const socket = join(dir, 'run', 'portcullis.sock');
  const server = await startControlServer(
    socket,
    () => runtime,
    {
      version: '9.9.9',
      async reload(jail) {
        reloads = [...reloads, jail];
        if (options.reloadError) throw options.reloadError;
      },
      stop: () => {
        stops++;
      },
    },
    silentLogger,
  );
  cleanups.push(() => runtime.stop(), () => new Promise<void>((r) => server.close(() => r())));
  return { dir, log, socket, runtime, server, stops: () => stops, reloads: () => reloads };
}

/** Send raw bytes, resolve with the first response line (or whatever came before the close). */
function raw(socket: string, payload: string | Buffer): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const s = connect(socket);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) {
        s.destroy();
        resolvePromise(out.slice(0, out.indexOf('\n')));
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolvePromise(out) : reject(e)));
    s.on('close', () => resolvePromise(out));
    s.write(payload);
  });
}

/** Captured stdout/stderr for the client functions. */
function streams() {
  const text = { out: '', err: '' };
  const writer = (key: 'out' | 'err') =>
    ({
      write(s: string) {
        text[key] += s;
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  const stdout = writer('out');
  const stderr = writer('err');
  return { text, stdout, stderr };
}

async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('control socket', () => {
  it('is created 0600 in a 0700 folder and answers the documented commands', async () => {
    const d = await daemon();
    expect(statSync(d.socket).mode & 0o777).toBe(0o600);
    expect(statSync(d.socket).isSocket()).toBe(true);
    expect(statSync(join(d.dir, 'run')).mode & 0o777).toBe(0o700);
    expect(await request(d.socket, 'ping')).toMatchObject({ v: 1, ok: true, result: { pong: true, version: '9.9.9', pid: process.pid } });
    expect(await request(d.socket, 'ban', { jail: 'demo', ips: ['192.0.2.1', '2001:DB8::1', 'bogus'] })).toMatchObject({
      ok: true,
      result: { banned: ['192.0.2.1', '2001:db8::1'], invalid: ['bogus'] },
    });
    // Failures read from the log show up in status.
    appendFileSync(d.log, `${new Date().toISOString()} auth failure from 198.51.100.7\n`);
    await waitFor(() => d.runtime.jailStatus('demo').totalFailed === 1);
    expect(await request(d.socket, 'status')).toMatchObject({
      ok: true,
      result: { version: '9.9.9', jails: [{ name: 'demo', filter: 'demo', currentlyFailed: 1, totalFailed: 1, currentlyBanned: 2, totalBanned: 2 }], totals: { currentlyBanned: 2, totalFailed: 1 } },
    });
    const one = await request(d.socket, 'status', { jail: 'demo' });
    expect(one).toMatchObject({ ok: true, result: { name: 'demo', currentlyBanned: 2 } });
    expect(((one as { result: { banned: { ip: string }[] } }).result.banned.map((b) => b.ip)).sort()).toEqual(['192.0.2.1', '2001:db8::1']);
    expect(await request(d.socket, 'status', { jail: 'nope' })).toMatchObject({ ok: false, error: { code: 'JAIL_UNKNOWN', message: expect.stringContaining('nope') } });
    expect(await request(d.socket, 'banned', { ip: '2001:db8::1' })).toMatchObject({ ok: true, result: [{ jail: 'demo', ip: '2001:db8::1' }] });
    expect(await request(d.socket, 'unban', { ips: ['192.0.2.1', '192.0.2.99'], jail: 'demo' })).toMatchObject({ ok: true, result: { unbanned: [{ jail: 'demo', ip: '192.0.2.1' }], notBanned: ['192.0.2.99'] } });
    expect(await request(d.socket, 'unban', { all: true })).toMatchObject({ ok: true, result: { unbanned: [{ ip: '2001:db8::1' }] } });
    expect(await request(d.socket, 'banned')).toMatchObject({ ok: true, result: [] });
    expect(await request(d.socket, 'reload', { jail: 'demo' })).toMatchObject({ ok: true, result: { reloaded: true, jails: ['demo'] } });
    expect(d.reloads()).toEqual(['demo']);
    expect(d.stops()).toBe(0);
    expect(await request(d.socket, 'stop')).toMatchObject({ ok: true, result: { stopping: true, pid: process.pid } });
    expect(d.stops()).toBe(1);
  });

  it('answers several requests on one connection, each with its id', async () => {
    const d = await daemon();
    const answers = await new Promise<{ id: number; ok: boolean }[]>((done, reject) => {
      const s = connect(d.socket);
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (chunk: string) => {
        out += chunk;
        const lines = out.split('\n').filter(Boolean);
        if (lines.length === 3) {
          s.destroy();
          done(lines.map((l) => JSON.parse(l)));
        }
      });
      s.on('error', reject);
      s.write('{"v":1,"id":11,"cmd":"ping"}\n{"v":1,"id":12,"cmd":"status","args":{"jail":"x"}}\n');
      s.write('{"v":1,"id":13,"cmd":"banned"}\n');
    });
    expect(answers.map((a) => [a.id, a.ok]).sort()).toEqual([[11, true], [12, false], [13, true]]);
  });

  it('refuses another protocol version, naming both, and malformed requests, and keeps serving', async () => {
    const d = await daemon();
    expect(JSON.parse(await raw(d.socket, '{"v":2,"id":5,"cmd":"ping"}\n'))).toMatchObject({ v: 1, id: 5, ok: false, error: { code: 'PROTOCOL_VERSION', message: expect.stringMatching(/version 2.*version 1/) } });
    expect(JSON.parse(await raw(d.socket, '{"id":6,"cmd":"ping"}\n'))).toMatchObject({ id: 6, error: { code: 'PROTOCOL_VERSION', message: expect.stringMatching(/version null.*version 1/) } });
    expect(JSON.parse(await raw(d.socket, 'hello\n'))).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_REQUEST' } });
    // JSON that is not an object must not crash the daemon (no property access on null).
    for (const payload of ['null', '5', '[1]', '"ping"']) expect(JSON.parse(await raw(d.socket, `${payload}\n`))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await raw(d.socket, '{"v":1,"id":"x","cmd":"ping"}\n'))).toMatchObject({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('id') } });
    expect(JSON.parse(await raw(d.socket, '{"v":1,"id":7,"cmd":"format-disk"}\n'))).toMatchObject({ id: 7, error: { code: 'UNKNOWN_COMMAND', message: expect.stringContaining('ping') } });
    expect(JSON.parse(await raw(d.socket, '{"v":1,"id":8,"cmd":"ban","args":{"jail":"demo","ips":"192.0.2.1"}}\n'))).toMatchObject({ id: 8, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await raw(d.socket, '{"v":1,"id":9,"cmd":"ban","args":{"ips":["192.0.2.1"]}}\n'))).toMatchObject({ id: 9, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await raw(d.socket, '{"v":1,"id":10,"cmd":"status","args":[]}\n'))).toMatchObject({ id: 10, error: { code: 'BAD_REQUEST' } });
    expect(d.runtime.banned()).toEqual([]);
    expect(await request(d.socket, 'ping')).toMatchObject({ ok: true });
  });

  it('refuses requests over 1 MiB, with or without a newline, and still serves others', async () => {
    const d = await daemon();
    expect(JSON.parse(await raw(d.socket, 'x'.repeat(1024 * 1024 + 10)))).toMatchObject({ ok: false, error: { code: 'REQUEST_TOO_LARGE' } });
    const big = JSON.stringify({ v: 1, id: 3, cmd: 'ban', args: { jail: 'demo', ips: Array.from({ length: 80_000 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`) } });
    expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024);
    expect(JSON.parse(await raw(d.socket, `${big}\n`))).toMatchObject({ ok: false, error: { code: 'REQUEST_TOO_LARGE' } });
    // Multi-byte characters: under 1 Mi characters but over 1 MiB.
    expect(JSON.parse(await raw(d.socket, `{"v":1,"id":1,"cmd":"ping","pad":"${'é'.repeat(600_000)}"}\n`))).toMatchObject({ error: { code: 'REQUEST_TOO_LARGE' } });
    expect(d.runtime.banned()).toEqual([]);
    // Just under the limit is fine.
    const fits = JSON.stringify({ v: 1, id: 4, cmd: 'ping', args: { pad: 'y'.repeat(1024 * 1024 - 100) } });
    expect(JSON.parse(await raw(d.socket, `${fits}\n`))).toMatchObject({ id: 4, ok: true });
  });

  it('reports a failed reload with its problems and keeps running', async () => {
    const error = new PortcullisError('CONFIG_INVALID', 'invalid configuration', { problems: ['jails.demo.maxretry: expected a positive integer'] });
    const d = await daemon({ reloadError: error });
    expect(await request(d.socket, 'reload')).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', problems: ['jails.demo.maxretry: expected a positive integer'] } });
    expect(await request(d.socket, 'ping')).toMatchObject({ ok: true });
  });

  it('refuses to start a second daemon on a live socket, replaces a stale one, and leaves other files alone', async () => {
    const d = await daemon();
    const handlers = { version: 'x', reload: async () => {}, stop() {} };
    await expect(startControlServer(d.socket, () => d.runtime, handlers, silentLogger)).rejects.toThrow(/already running/);
    expect(await request(d.socket, 'ping')).toMatchObject({ ok: true });

    const dir = mkdtempSync(join(tmpdir(), 'stale-'));
    const stale = join(dir, 'p.sock');
    // A socket file nobody listens on, as a killed daemon leaves behind (Node removes it on close, so
    // re-create the file by binding and then dropping the server without unlinking).
    const dead: Server = createServer();
    await new Promise<void>((r) => dead.listen(stale, () => r()));
    const { unlinkSync, linkSync } = await import('node:fs');
    linkSync(stale, join(dir, 'kept.sock'));
    await new Promise<void>((r) => dead.close(() => r()));
    if (!existsSync(stale)) linkSync(join(dir, 'kept.sock'), stale);
    unlinkSync(join(dir, 'kept.sock'));
    expect(statSync(stale).isSocket()).toBe(true);
    const server = await startControlServer(stale, () => d.runtime, handlers, silentLogger);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    expect(await request(stale, 'ping')).toMatchObject({ ok: true });

    const notSocket = join(dir, 'regular-file');
    writeFileSync(notSocket, 'precious');
    await expect(startControlServer(notSocket, () => d.runtime, handlers, silentLogger)).rejects.toThrow(/not a socket/);
    expect(statSync(notSocket).isFile()).toBe(true);
  });

  it('removes its socket file when closed', async () => {
    const d = await daemon();
    await new Promise<void>((r) => d.server.close(() => r()));
    expect(existsSync(d.socket)).toBe(false);
  });
});

describe('client commands: output and exit codes against a real server', () => {
  it('0 ok, 1 command failed, 2 usage or config error, 3 no daemon', async () => {
    const d = await daemon();
    const io = streams();
    const o = { socket: d.socket, stdout: io.stdout, stderr: io.stderr };
    expect(await runPing(o)).toBe(EXIT.ok);
    expect(io.text.out).toMatch(/^pong \(portcullis 9\.9\.9, pid \d+\)\n$/);

    expect(await runBan('demo', ['192.0.2.5'], o)).toBe(EXIT.ok);
    expect(await runBan('demo', ['192.0.2.6', 'not-an-ip'], o)).toBe(EXIT.failed);
    expect(io.text.out).toContain('invalid addresses: not-an-ip');
    expect(await runBan('nope', ['192.0.2.7'], o)).toBe(EXIT.failed);
    expect(io.text.err).toContain('no jail named "nope"');

    io.text.out = '';
    expect(await runStatus(undefined, o)).toBe(EXIT.ok);
    expect(io.text.out).toMatch(/JAIL\s+FILTER\s+FAILING\s+FAILURES\s+BANNED\s+BANS/);
    expect(io.text.out).toMatch(/demo\s+demo\s+0\s+0\s+2\s+2/);
    io.text.out = '';
    expect(await runStatus('demo', o)).toBe(EXIT.ok);
    expect(io.text.out).toContain('currently banned:  2');
    expect(io.text.out).toMatch(/192\.0\.2\.5\s+\S+Z\s+(59m|1h)/);
    expect(await runStatus('nope', o)).toBe(EXIT.failed);

    io.text.out = '';
    expect(await runBanned('192.0.2.6', { ...o, json: true })).toBe(EXIT.ok);
    expect(JSON.parse(io.text.out)).toMatchObject([{ jail: 'demo', ip: '192.0.2.6', banCount: 1 }]);

    expect(await runUnban([], o)).toBe(EXIT.usage);
    expect(await runUnban(['192.0.2.5'], { ...o, all: true })).toBe(EXIT.usage);
    io.text.out = '';
    expect(await runUnban(['192.0.2.5'], { ...o, jail: 'demo' })).toBe(EXIT.ok);
    expect(io.text.out).toContain('unbanned: 192.0.2.5 (demo)');
    expect(await runUnban([], { ...o, all: true, jail: 'nope' })).toBe(EXIT.failed);
    expect(await runReload(undefined, o)).toBe(EXIT.ok);

    // --json errors go to stdout as { ok: false, error }.
    io.text.out = '';
    expect(await runStatus('nope', { ...o, json: true })).toBe(EXIT.failed);
    expect(JSON.parse(io.text.out)).toMatchObject({ ok: false, error: { code: 'JAIL_UNKNOWN' } });

    const gone = join(d.dir, 'nobody.sock');
    expect(await runPing({ ...o, socket: gone })).toBe(EXIT.noDaemon);
    expect(io.text.err).toContain(`no Portcullis daemon answers on ${gone}: socket does not exist`);
    io.text.out = '';
    expect(await runPing({ ...o, socket: gone, json: true })).toBe(EXIT.noDaemon);
    expect(JSON.parse(io.text.out)).toMatchObject({ ok: false, error: { code: 'NO_DAEMON' } });
    expect(await runClientCommand('ping', {}, { ...o, socket: undefined, config: join(d.dir, 'missing.yaml') })).toBe(EXIT.usage);
  });

  it('finds the socket through the config file', async () => {
    const d = await daemon();
    const confDir = mkdtempSync(join(tmpdir(), 'control-conf-'));
    mkdirSync(join(confDir, 'etc'));
    // A relative socket path resolves from the config's folder.
    writeFileSync(join(confDir, 'etc', 'portcullis.config.json'), JSON.stringify({ socket: `../../${d.socket.split('/').slice(-3).join('/')}`, jails: {} }));
    const io = streams();
    expect(await runPing({ config: join(confDir, 'etc', 'portcullis.config.json'), stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.ok);
  });

  const cli = resolve(import.meta.dirname, '../dist/cli.js');
  // `pnpm test` builds first, so under CI the CLI must be there.
  it.skipIf(!existsSync(cli) && process.env.CI !== 'true')('the built CLI exits 3 from ping when no daemon answers', async () => {
    const code = await new Promise<number | null>((r) => {
      execFile(process.execPath, [cli, 'ping', '--socket', join(tmpdir(), `no-such-portcullis-${process.pid}.sock`)], (error) => r(error ? ((error as { code?: number }).code ?? 1) : 0));
    });
    expect(code).toBe(3);
  });
});
