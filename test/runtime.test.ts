import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecorder } from '@portcullis/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@portcullis/core';
import { MemoryBanStore, Runtime, parseConfig } from '@portcullis/core/engine';

const fixtures = join(import.meta.dirname, '../packages/core/test/fixtures/config');
const running: Runtime[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

async function waitFor(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function syslog(msg: string, at = new Date()): string {
  return `${at.toISOString()} host demo[1]: ${msg}\n`;
}

async function setup(jails: Record<string, unknown>, options: { store?: MemoryBanStore; recorder?: ReturnType<typeof createRecorder> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'runtime-'));
  const recorder = options.recorder ?? createRecorder();
  const raw = { plugins: [join(fixtures, 'test-plugin.mjs')], jails };
  const loaded = await parseConfig(raw, { dir });
  // Every jail also gets a recorder action (not a package), so the test sees what actions were asked.
  const recorderAction = { id: 'recorder', options: {}, definition: recorder.definition, plugin: '@portcullis/testkit' };
  const withRecorder = { ...loaded, jails: loaded.jails.map((j) => ({ ...j, actions: [...j.actions, recorderAction] })) };
  const store = options.store ?? new MemoryBanStore();
  const runtime = new Runtime({ config: withRecorder, store, logger: silentLogger, housekeepingInterval: 200 });
  running.push(runtime);
  return { dir, runtime, store, recorder };
}

describe('Runtime', () => {
  it('bans after maxretry failures, writes dry-run events, and unbans on time exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-log-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, syslog('auth failure from 192.0.2.1'));
    const { runtime, recorder } = await setup({
      // Per address (ipv6prefix 128): the ban shows the canonical address.
      demo: { filter: 'demo', logpath: log, maxretry: 3, findtime: '1m', bantime: '1s', ipv6prefix: 128, actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] },
    });
    await runtime.start();
    // The line present before start is not read (tail from the end).
    for (let i = 0; i < 3; i++) appendFileSync(log, syslog('auth failure from 2001:DB8:0:0::7'));
    appendFileSync(log, syslog('auth failure from 127.0.0.1'));
    await waitFor(() => existsSync(join(dir, 'bans.jsonl')) && readFileSync(join(dir, 'bans.jsonl'), 'utf8').includes('"ban"'));
    const ban = JSON.parse(readFileSync(join(dir, 'bans.jsonl'), 'utf8').trim().split('\n')[0]!);
    expect(ban).toMatchObject({ event: 'ban', jail: 'demo', ip: '2001:db8::7', bantime: 1, failures: 3 });
    expect(runtime.banned().map((b) => b.ip)).toEqual(['2001:db8::7']);
    await waitFor(() => readFileSync(join(dir, 'bans.jsonl'), 'utf8').includes('"unban"'), 30_000);
    await new Promise((r) => setTimeout(r, 300));
    const events = readFileSync(join(dir, 'bans.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['ban', 'unban']);
    expect(recorder.calls.filter((c) => c.op !== 'check').map((c) => `${c.op} ${c.ips.join(',')}`)).toEqual(['start ', 'ban 2001:db8::7', 'unban 2001:db8::7']);
    expect(runtime.jailStatus('demo')).toMatchObject({ totalBanned: 1, currentlyBanned: 0, totalFailed: 3 });
  });

  it('never bans ignored hosts, ignores lines older than findtime, and survives garbage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-ign-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const { runtime, recorder } = await setup({
      demo: { filter: 'demo', logpath: log, maxretry: 2, findtime: '10m', ignoreip: ['198.51.100.0/24', '2001:db8:1::/48'] },
    });
    await runtime.start();
    const old = new Date(Date.now() - 3_600_000);
    appendFileSync(log, syslog('auth failure from 198.51.100.20') + syslog('auth failure from 198.51.100.20'));
    appendFileSync(log, syslog('auth failure from ::ffff:198.51.100.21') + syslog('auth failure from 2001:db8:1::5').repeat(2));
    appendFileSync(log, syslog('auth failure from 203.0.113.9', old).repeat(3));
    appendFileSync(log, Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x80, 0x0a]));
    appendFileSync(log, `${'A'.repeat(1024 * 1024)}\n`);
    appendFileSync(log, syslog('auth failure from 192.0.2.50').repeat(2));
    await waitFor(() => runtime.banned().length > 0);
    await runtime.idle();
    expect(runtime.banned().map((b) => b.ip)).toEqual(['192.0.2.50']);
    expect(recorder.calls.filter((c) => c.op === 'ban').flatMap((c) => c.ips)).toEqual(['192.0.2.50']);
  });

  it('bans and unbans by hand, and restores stored bans on the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-man-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const store = new MemoryBanStore();
    const first = await setup({ demo: { filter: 'demo', logpath: log, bantime: '1h' } }, { store });
    await first.runtime.start();
    expect(await first.runtime.ban('demo', ['192.0.2.9', '::FFFF:192.0.2.10', 'not-an-ip', '127.0.0.1'])).toEqual({
      banned: ['192.0.2.9', '192.0.2.10'],
      already: [],
      invalid: ['not-an-ip'],
      ignored: ['127.0.0.1'],
    });
    expect((await first.runtime.ban('demo', ['192.0.2.9'])).already).toEqual(['192.0.2.9']);
    expect(await first.runtime.unban(['192.0.2.10', '192.0.2.99'])).toEqual({ unbanned: [{ jail: 'demo', ip: '192.0.2.10' }], notBanned: ['192.0.2.99'], invalid: [] });
    await first.runtime.idle();
    await first.runtime.stop();
    running.splice(running.indexOf(first.runtime), 1);
    // An expired ban left in the store is dropped at start, not re-applied.
    store.addBan({ ip: '192.0.2.77', family: 4, jail: 'demo', time: 0, bantime: 1000, expires: 1000, failures: 5, banCount: 1, matches: [] });

    const second = await setup({ demo: { filter: 'demo', logpath: log, bantime: '1h' } }, { store });
    await second.runtime.start();
    await second.runtime.idle();
    expect(second.runtime.banned().map((b) => b.ip)).toEqual(['192.0.2.9']);
    expect(second.recorder.calls.filter((c) => c.op === 'ban').flatMap((c) => c.ips)).toEqual(['192.0.2.9']);
    expect(store.currentBans().map((b) => b.ip)).toEqual(['192.0.2.9']);
  });

  it('keeps serving other jails when one action keeps failing, and applies the ban once it recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-fail-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const recorder = createRecorder();
    recorder.failNext('ban', 1);
    const { runtime } = await setup(
      {
        a: { filter: 'demo', logpath: log, maxretry: 1 },
        b: { filter: 'demo', logpath: log, maxretry: 1, actions: [{ id: 'dry-run', options: { file: join(dir, 'b.jsonl') } }] },
      },
      { recorder },
    );
    await runtime.start();
    appendFileSync(log, syslog('auth failure from 192.0.2.44'));
    await waitFor(() => existsSync(join(dir, 'b.jsonl')));
    expect(runtime.banned().map((b) => `${b.jail} ${b.ip}`).sort()).toEqual(['a 192.0.2.44', 'b 192.0.2.44']);
    // 'a' had its first ban attempt rejected; the runner retries after 1 s.
    await waitFor(() => recorder.calls.filter((c) => c.op === 'ban').length === 2, 30_000);
  });

  it('reloads a changed configuration without losing bans', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-reload-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const { runtime } = await setup({ demo: { filter: 'demo', logpath: log, maxretry: 5, bantime: '1h' } });
    await runtime.start();
    await runtime.ban('demo', ['192.0.2.200']);
    const next = await parseConfig(
      { plugins: [join(fixtures, 'test-plugin.mjs')], jails: { demo: { filter: 'demo', logpath: log, maxretry: 1, bantime: '1h' }, extra: { filter: 'demo', logpath: log } } },
      { dir },
    );
    await runtime.reload(next);
    expect(runtime.jailNames.sort()).toEqual(['demo', 'extra']);
    expect(runtime.banned().map((b) => b.ip)).toEqual(['192.0.2.200']);
    appendFileSync(log, syslog('auth failure from 192.0.2.201'));
    await waitFor(() => runtime.banned().some((b) => b.ip === '192.0.2.201'));
  });

  it('writes the bans of every jail reading a batch of lines in one store call, before any action applies them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-batch-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const recorder = createRecorder();
    // A store that takes batches, and notes what the actions had been asked when each batch came.
    const batches: { bans: string[]; actionBansBefore: number }[] = [];
    class BatchStore extends MemoryBanStore {
      addBans(bans: readonly Parameters<MemoryBanStore['addBan']>[0][]): void {
        batches.push({ bans: bans.map((b) => `${b.jail} ${b.ip}`), actionBansBefore: recorder.calls.filter((c) => c.op === 'ban').length });
        for (const b of bans) this.addBan(b);
      }
    }
    const { runtime, store } = await setup(
      { first: { filter: 'demo', logpath: log, maxretry: 2, bantime: '1h' }, second: { filter: 'demo', logpath: log, maxretry: 2, bantime: '1h' } },
      { store: new BatchStore(), recorder },
    );
    await runtime.start();
    appendFileSync(log, ['192.0.2.31', '192.0.2.32', '192.0.2.31', '192.0.2.32'].map((ip) => syslog(`auth failure from ${ip}`)).join(''));
    await waitFor(() => recorder.calls.filter((c) => c.op === 'ban').length >= 2);
    await runtime.idle();
    expect(batches).toEqual([{ bans: ['first 192.0.2.31', 'first 192.0.2.32', 'second 192.0.2.31', 'second 192.0.2.32'], actionBansBefore: 0 }]);
    expect(store.currentBans().map((b) => `${b.jail} ${b.ip}`).sort()).toEqual(['first 192.0.2.31', 'first 192.0.2.32', 'second 192.0.2.31', 'second 192.0.2.32']);
    expect(runtime.jailStatus('second')).toMatchObject({ currentlyBanned: 2, totalBanned: 2 });
  });

  it('writes the bans of every slice of one read in one store call: a read of 400 lines is handed on 128 at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-slices-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const recorder = createRecorder();
    const batches: { bans: number; actionBansBefore: number }[] = [];
    class BatchStore extends MemoryBanStore {
      addBans(bans: readonly Parameters<MemoryBanStore['addBan']>[0][]): void {
        batches.push({ bans: bans.length, actionBansBefore: recorder.calls.filter((c) => c.op === 'ban').length });
        for (const b of bans) this.addBan(b);
      }
    }
    const { runtime, store } = await setup({ demo: { filter: 'demo', logpath: log, maxretry: 2, bantime: '1h' } }, { store: new BatchStore(), recorder });
    await runtime.start();
    // 200 hosts failing twice, each pair of lines 200 lines apart: bans in the second half of the read, in two slices.
    const hosts = Array.from({ length: 200 }, (_, i) => `198.51.100.${i}`);
    appendFileSync(log, [...hosts, ...hosts].map((ip) => syslog(`auth failure from ${ip}`)).join(''));
    await waitFor(() => runtime.jailStatus('demo').currentlyBanned === 200);
    await runtime.idle();
    expect(batches).toEqual([{ bans: 200, actionBansBefore: 0 }]);
    expect(store.currentBans()).toHaveLength(200);
  });

  it('multiplies the ban time of repeat offenders (increment) up to maxtime', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rt-inc-'));
    const log = join(dir, 'demo.log');
    writeFileSync(log, '');
    const { runtime } = await setup({ demo: { filter: 'demo', logpath: log, maxretry: 1, bantime: '10m', increment: { factor: 3, maxtime: '1h' } } });
    await runtime.start();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      appendFileSync(log, syslog('auth failure from 192.0.2.123'));
      await waitFor(() => runtime.banned().length === 1);
      times.push(runtime.banned()[0]!.bantime);
      await runtime.unban(['192.0.2.123']);
    }
    expect(times).toEqual([600_000, 1_800_000, 3_600_000]);
  });
});
