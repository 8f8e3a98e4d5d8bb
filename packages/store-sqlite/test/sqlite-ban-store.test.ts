import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredBan } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { SqliteBanStore } from '../src/index.js';

function ban(ip: string, over: Partial<StoredBan> = {}): StoredBan {
  return { jail: 'sshd', ip, family: ip.includes(':') ? 6 : 4, time: 1000, bantime: 600_000, expires: 601_000, failures: 5, banCount: 1, matches: ['line'], users: ['root'], reason: 'failures', ...over };
}

describe('SqliteBanStore', () => {
  it('keeps bans, history and positions across close and reopen', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'store-')), 'sub', 'portcullis.db');
    const store = SqliteBanStore.open(file);
    store.addBan(ban('192.0.2.1'));
    store.addBan(ban('2001:db8::1', { expires: Number.POSITIVE_INFINITY, bantime: -1 }));
    store.addBan(ban('192.0.2.1', { time: 2000, banCount: 2 }));
    store.setPosition('file:/var/log/auth.log', { offset: 123, dev: 1, ino: 2, headHash: 'abc' });
    expect(store.removeBan('sshd', '192.0.2.99')).toBe(false);
    store.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = SqliteBanStore.open(file);
    const bans = again.currentBans('sshd');
    expect(bans.map((b) => [b.ip, b.banCount, b.expires])).toEqual([
      ['2001:db8::1', 1, Number.POSITIVE_INFINITY],
      ['192.0.2.1', 2, 601_000],
    ]);
    expect(bans[1]).toMatchObject({ matches: ['line'], users: ['root'], reason: 'failures', family: 4 });
    expect(again.banCount('192.0.2.1', 'sshd', 0)).toBe(2);
    expect(again.banCount('192.0.2.1', 'other', 0)).toBe(0);
    expect(again.banCount('192.0.2.1', undefined, 1500)).toBe(1);
    expect(again.getPosition('file:/var/log/auth.log')).toEqual({ offset: 123, dev: 1, ino: 2, headHash: 'abc' });
    expect(again.removeBan('sshd', '192.0.2.1')).toBe(true);
    expect(again.currentBans().map((b) => b.ip)).toEqual(['2001:db8::1']);
    again.close();
  });

  // The child is plain Node: it runs the built package (pnpm test builds before running tests).
  it.skipIf(!existsSync(new URL('../dist/index.js', import.meta.url)))('loses no reported ban when the process is killed with SIGKILL', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'store-kill-')), 'portcullis.db');
    const script = `
      const { SqliteBanStore } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      const store = SqliteBanStore.open(${JSON.stringify(file)});
      for (let i = 0; ; i++) {
        store.addBan({ jail: 'j', ip: '10.0.' + (i >> 8 & 255) + '.' + (i & 255), family: 4, time: i, bantime: 1, expires: 1e15, failures: 1, banCount: 1, matches: [] });
        process.stdout.write(i + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let reported = -1;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) reported = Number(l);
      if (reported >= 300) child.kill('SIGKILL');
    });
    await new Promise((r) => child.once('exit', r));
    expect(reported).toBeGreaterThanOrEqual(300);
    const store = SqliteBanStore.open(file);
    // Every ban reported on stdout was committed before it was reported.
    expect(store.currentBans('j').length).toBeGreaterThanOrEqual(reported + 1);
    store.close();
  }, 60_000);

  it('purges old history and keeps the file small', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'store-purge-')), 'portcullis.db');
    const store = SqliteBanStore.open(file);
    for (let i = 0; i < 20_000; i++) store.addBan(ban(`10.1.${i >> 8}.${i & 255}`, { time: i, jail: 'flood' }));
    for (let i = 0; i < 20_000; i++) store.removeBan('flood', `10.1.${i >> 8}.${i & 255}`);
    expect(store.banCount('10.1.0.1', 'flood', 0)).toBe(1);
    store.purge(1_000_000);
    expect(store.banCount('10.1.0.1', 'flood', 0)).toBe(0);
    store.close();
    expect(statSync(file).size).toBeLessThan(512 * 1024);
  });
});
