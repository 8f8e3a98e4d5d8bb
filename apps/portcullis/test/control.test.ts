import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { type Server, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '@portcullis/core';
import { MemoryBanStore, Runtime, parseConfig } from '@portcullis/core/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from '../src/control-client.js';
import { startControlServer } from '../src/control-server.js';

const plugin = resolve(import.meta.dirname, '../../../packages/core/test/fixtures/config/test-plugin.mjs');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon(options: { reloadError?: Error } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'control-'));
  writeFileSync(join(dir, 'demo.log'), '');
  const config = await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log'), bantime: '1h' } } }, { dir });
  const runtime = new Runtime({ config, store: new MemoryBanStore(), logger: silentLogger });
  await runtime.start();
  let stopped = false;
  const socket = join(dir, 'run', 'portcullis.sock');
  const server = await startControlServer(
    socket,
    () => runtime,
    {
      version: '9.9.9',
      async reload() {
        if (options.reloadError) throw options.reloadError;
      },
      stop: () => {
        stopped = true;
      },
    },
    silentLogger,
  );
  cleanups.push(() => runtime.stop(), () => new Promise<void>((r) => server.close(() => r())));
  return { dir, socket, runtime, server, stopped: () => stopped };
}

function raw(socket: string, payload: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const s = connect(socket);
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) {
        s.destroy();
        resolvePromise(out);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolvePromise(out));
    s.write(payload);
  });
}

describe('control socket', () => {
  it('is created 0600 in a 0700 folder and answers the documented commands', async () => {
    const d = await daemon();
    expect(statSync(d.socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(d.dir, 'run')).mode & 0o777).toBe(0o700);
    expect(await request(d.socket, 'ping')).toMatchObject({ v: 1, ok: true, result: { pong: true, version: '9.9.9' } });
    expect(await request(d.socket, 'ban', { jail: 'demo', ips: ['192.0.2.1', '2001:DB8::1', 'bogus'] })).toMatchObject({
      ok: true,
      result: { banned: ['192.0.2.1', '2001:db8::1'], invalid: ['bogus'] },
    });
    const status = await request(d.socket, 'status');
    expect(status).toMatchObject({ ok: true, result: { jails: [{ name: 'demo', currentlyBanned: 2 }], totals: { currentlyBanned: 2 } } });
    expect(await request(d.socket, 'status', { jail: 'nope' })).toMatchObject({ ok: false, error: { code: 'JAIL_UNKNOWN' } });
    expect(await request(d.socket, 'banned', { ip: '2001:db8::1' })).toMatchObject({ ok: true, result: [{ jail: 'demo', ip: '2001:db8::1' }] });
    expect(await request(d.socket, 'unban', { all: true })).toMatchObject({ ok: true, result: { unbanned: [{ ip: '192.0.2.1' }, { ip: '2001:db8::1' }] } });
    expect(await request(d.socket, 'stop')).toMatchObject({ ok: true });
    expect(d.stopped()).toBe(true);
  });

  it('refuses another protocol version, non-JSON and oversized requests', async () => {
    const d = await daemon();
    expect(JSON.parse(await raw(d.socket, '{"v":2,"id":5,"cmd":"ping"}\n'))).toMatchObject({ id: 5, ok: false, error: { code: 'PROTOCOL_VERSION', message: expect.stringMatching(/version 2.*version 1/) } });
    expect(JSON.parse(await raw(d.socket, 'hello\n'))).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(JSON.parse(await raw(d.socket, 'x'.repeat(1024 * 1024 + 10)))).toMatchObject({ ok: false, error: { code: 'REQUEST_TOO_LARGE' } });
  });

  it('reports a failed reload with its problems and keeps running', async () => {
    const { PortcullisError } = await import('@portcullis/core');
    const d = await daemon({ reloadError: new PortcullisError('CONFIG_INVALID', 'invalid configuration', { problems: ['jails.demo.maxretry: expected a positive integer'] }) });
    expect(await request(d.socket, 'reload')).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID', problems: ['jails.demo.maxretry: expected a positive integer'] } });
    expect(await request(d.socket, 'ping')).toMatchObject({ ok: true });
  });

  it('refuses to start a second daemon on a live socket and replaces a stale one', async () => {
    const d = await daemon();
    await expect(startControlServer(d.socket, () => d.runtime, { version: 'x', reload: async () => {}, stop() {} }, silentLogger)).rejects.toThrow(/already running/);
    const dir = mkdtempSync(join(tmpdir(), 'stale-'));
    const stale = join(dir, 'p.sock');
    // A socket file nobody listens on: a server that was killed without cleaning up.
    const dead: Server = createServer();
    await new Promise<void>((r) => dead.listen(stale, () => r()));
    await new Promise<void>((r) => {
      dead.close(() => r());
    });
    if (!existsSync(stale)) writeFileSync(stale, '');
    const server = await startControlServer(stale, () => d.runtime, { version: 'x', reload: async () => {}, stop() {} }, silentLogger);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    expect(await request(stale, 'ping')).toMatchObject({ ok: true });
  });
});

describe('client exit codes', () => {
  const cli = resolve(import.meta.dirname, '../dist/cli.js');
  it.skipIf(!existsSync(cli))('ping exits 3 when no daemon answers', async () => {
    const code = await new Promise<number | null>((r) => {
      execFile(process.execPath, [cli, 'ping', '--socket', join(tmpdir(), 'no-such-portcullis.sock')], (error) => r(error ? ((error as { code?: number }).code ?? 1) : 0));
    });
    expect(code).toBe(3);
  });
});
