import { mkdtempSync, writeFileSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '@portcullis/core';
import { MemoryBanStore, Runtime, parseConfig } from '@portcullis/core/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, runBanned, runClientCommand, runStatus, runUnban } from '../src/commands/client-commands.js';
import { BrokenAnswerError, type ListSink, NoDaemonError, request } from '../src/control/control-client.js';
import { PART_ITEMS } from '../src/control/control-protocol.js';
import { startControlServer } from '../src/control/control-server.js';

/**
 * The control socket at its limits: long list answers in parts (and in one line, built a part at a time),
 * idle and half-written connections, and client errors that name what happened.
 */
const plugin = resolve(import.meta.dirname, '../../../packages/core/test/fixtures/config/test-plugin.mjs');
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function daemon() {
  const dir = mkdtempSync(join(tmpdir(), 'control-limits-'));
  writeFileSync(join(dir, 'demo.log'), '');
  const config = await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log'), bantime: '1h', maxretry: 2, ignoreip: [], ignoreself: false } } }, { dir });
  const runtime = new Runtime({ config, store: new MemoryBanStore(), logger: silentLogger });
  await runtime.start();
  const socket = join(dir, 'run', 'p.sock');
  const server = await startControlServer(socket, () => runtime, { version: '9.9.9', reload: async () => {}, stop() {} }, silentLogger);
  cleanups.push(() => runtime.stop(), () => new Promise<void>((r) => server.close(() => r())));
  return { dir, socket, runtime };
}

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function collect(): ListSink & { field: string | undefined; parts: number; items: unknown[] } {
  return {
    field: undefined,
    parts: 0,
    items: [],
    head(_result, field) {
      this.field = field;
    },
    part(items) {
      this.parts++;
      for (const item of items) this.items.push(item);
    },
  };
}

function streams() {
  const text = { out: '', err: '' };
  const writer = (key: 'out' | 'err') =>
    ({
      write(s: string) {
        text[key] += s;
        return true;
      },
    }) as unknown as NodeJS.WritableStream;
  return { text, stdout: writer('out'), stderr: writer('err') };
}

describe('long list answers', () => {
  it('come in parts, complete, and in one line to clients that do not ask for parts', async () => {
    const d = await daemon();
    const n = 20_000;
    const ips = Array.from({ length: n }, (_, i) => address(i));
    expect((await d.runtime.ban('demo', ips)).banned).toHaveLength(n);

    const sink = collect();
    const head = await request(d.socket, 'banned', {}, { sink });
    expect(head).toMatchObject({ ok: true, result: [] });
    expect(sink.field).toBe('');
    expect(sink.parts).toBe(Math.ceil(n / PART_ITEMS));
    expect(new Set(sink.items.map((b) => (b as { ip: string }).ip)).size).toBe(n);

    const status = collect();
    expect(await request(d.socket, 'status', { jail: 'demo' }, { sink: status })).toMatchObject({ ok: true, result: { name: 'demo', currentlyBanned: n } });
    expect(status.field).toBe('banned');
    expect(status.items).toHaveLength(n);

    // Without parts: one line, the documented shape.
    const one = await request(d.socket, 'status', { jail: 'demo' });
    expect(one).toMatchObject({ ok: true, result: { name: 'demo', currentlyBanned: n } });
    expect((one as { result: { banned: unknown[] } }).result.banned).toHaveLength(n);

    // The client prints --json exactly as JSON.stringify of the whole result would.
    const io = streams();
    expect(await runStatus('demo', { socket: d.socket, json: true, stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.ok);
    expect(io.text.out).toBe(`${JSON.stringify((one as { result: unknown }).result, null, 2)}\n`);
    io.text.out = '';
    expect(await runBanned(undefined, { socket: d.socket, json: true, stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.ok);
    expect(JSON.parse(io.text.out)).toHaveLength(n);

    // unban --all: lifted a batch at a time, every ban reported once.
    const lifted = collect();
    expect(await request(d.socket, 'unban', { all: true }, { sink: lifted })).toMatchObject({ ok: true, result: { notBanned: [], invalid: [] } });
    expect(new Set(lifted.items.map((u) => (u as { ip: string }).ip)).size).toBe(n);
    expect(d.runtime.banned()).toEqual([]);
    expect(await request(d.socket, 'banned')).toMatchObject({ ok: true, result: [] });
  }, 60_000);

  it('prints an empty list the way JSON.stringify does, and tables the old way', async () => {
    const d = await daemon();
    const io = streams();
    const o = { socket: d.socket, stdout: io.stdout, stderr: io.stderr };
    expect(await runBanned(undefined, { ...o, json: true })).toBe(EXIT.ok);
    expect(io.text.out).toBe('[]\n');
    io.text.out = '';
    expect(await runStatus('demo', { ...o, json: true })).toBe(EXIT.ok);
    expect(JSON.parse(io.text.out)).toMatchObject({ name: 'demo', banned: [] });
    io.text.out = '';
    await d.runtime.ban('demo', ['192.0.2.1', '2001:db8::42']);
    expect(await runBanned(undefined, o)).toBe(EXIT.ok);
    const [header, ...rows] = io.text.out.trimEnd().split('\n');
    expect(header).toMatch(/^JAIL +ADDRESS +SINCE +REMAINING +BANS +FAILURES$/);
    expect(io.text.out).toMatch(/^demo {2}2001:db8::42 {2}\S+Z {2}(59m|1h)/m);
    // Columns line up: every row's date starts under SINCE.
    for (const row of rows) expect(row.search(/\d{4}-\d\d-\d\dT/)).toBe(header!.indexOf('SINCE'));
    io.text.out = '';
    expect(await runUnban([], { ...o, all: true })).toBe(EXIT.ok);
    expect(io.text.out).toMatch(/^unbanned: (192\.0\.2\.1 \(demo\) 2001:db8::42 \(demo\)|2001:db8::42 \(demo\) 192\.0\.2\.1 \(demo\))\n$/);
  });
});

describe('connections', () => {
  it('64 idle and half-written connections leave room for a new client; idle ones are closed', async () => {
    const d = await daemon();
    const idle: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 64; i++) {
      const s = connect(d.socket);
      s.on('error', () => {});
      closed.push(new Promise((r) => s.once('close', () => r())));
      await new Promise<void>((r) => s.once('connect', () => r()));
      if (i % 2) s.write('{"v":1,"id":1,"cmd":"sta'); // half a request, never finished
      idle.push(s);
    }
    cleanups.push(() => {
      for (const s of idle) s.destroy();
    });
    const io = streams();
    expect(await runStatus(undefined, { socket: d.socket, stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.ok);
    expect(io.text.out).toMatch(/^demo\s+demo/m);
    // The daemon closes every one of them after a few idle seconds.
    await Promise.race([Promise.all(closed), new Promise((_, reject) => setTimeout(() => reject(new Error('idle connections still open')), 30_000))]);
  }, 40_000);

  it('answers an empty request line with an error', async () => {
    const d = await daemon();
    const answer = await new Promise<string>((done) => {
      const s = connect(d.socket);
      s.setEncoding('utf8');
      let out = '';
      s.on('data', (c: string) => {
        out += c;
        if (out.includes('\n')) {
          s.destroy();
          done(out);
        }
      });
      s.write('\n');
    });
    expect(JSON.parse(answer)).toMatchObject({ id: 0, ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('empty request line') } });
  });
});

describe('client errors name what happened', () => {
  /** A fake daemon that accepts, sends `answer` (if any) and then behaves as `then` says. */
  async function fake(answer: string, then: 'silent' | 'close') {
    const dir = mkdtempSync(join(tmpdir(), 'control-fake-'));
    const path = join(dir, 'p.sock');
    const server = createServer((s) => {
      s.once('data', () => {
        if (answer) s.write(answer);
        if (then === 'close') s.end();
      });
    });
    await new Promise<void>((r) => server.listen(path, () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    return path;
  }

  it('never "no daemon" when one answered', async () => {
    const half = '{"v":1,"id":1,"ok":true,"result":[{"jail":"sshd","ip":"192.0.2.1"},';
    const silent = await fake(half, 'silent');
    const err = await request(silent, 'banned', {}, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenAnswerError);
    expect((err as Error).message).toMatch(/stopped sending in the middle of its answer: \d+ bytes received/);

    const quiet = await fake('', 'silent');
    expect(((await request(quiet, 'ping', {}, { timeoutMs: 300 }).catch((e: unknown) => e)) as Error).message).toMatch(/accepted the connection but sent no answer/);

    const cut = await fake(half, 'close');
    const io = streams();
    expect(await runClientCommand('banned', {}, { socket: cut, stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.failed);
    expect(io.text.err).toMatch(/closed the connection in the middle of its answer/);
    expect(io.text.err).not.toMatch(/no Portcullis daemon/);

    // Parts announced but missing.
    const short = await fake('{"v":1,"id":0,"ok":true,"result":[],"stream":""}\n{"v":1,"id":0,"part":[1,2]}\n{"v":1,"id":0,"end":{"items":3}}\n', 'silent');
    const sink = collect();
    expect(((await request(short, 'banned', {}, { sink }).catch((e: unknown) => e)) as Error).message).toMatch(/announced 3 item\(s\) but sent 2/);

    // A daemon that does not know `stream` answers in one line: printed just the same.
    const old = await fake('{"v":1,"id":0,"ok":true,"result":{"name":"sshd","banned":[{"ip":"192.0.2.1"}]}}\n', 'silent');
    io.text.out = '';
    expect(await runStatus('sshd', { socket: old, json: true, stdout: io.stdout, stderr: io.stderr })).toBe(EXIT.ok);
    expect(JSON.parse(io.text.out)).toEqual({ name: 'sshd', banned: [{ ip: '192.0.2.1' }] });

    // And nothing there at all is "no daemon".
    expect(await request(join(tmpdir(), `none-${process.pid}.sock`), 'ping').catch((e: unknown) => e)).toBeInstanceOf(NoDaemonError);
  });
});
