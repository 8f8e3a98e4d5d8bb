import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ActionInstance, ListedBan } from '../src/contract/action-definition.js';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import type { ComposedAction } from '../src/contract/composed-jail.js';
import type { ProgressStore } from '../src/contract/read-progress.js';
import { defineAction } from '../src/contract/plugin-api.js';
import { parseConfig } from '../src/compose/load-config.js';
import { AddressMatcher } from '../src/jail/address-matcher.js';
import { Jail, type JailEvents } from '../src/jail/jail.js';
import { LineParser } from '../src/parsing/line-parser.js';
import { MemoryBanStore } from '../src/store/memory-store.js';
import { parseAddress } from '../src/util/ip-address.js';
import { parseNetwork } from '../src/util/ip-network.js';
import type { Logger } from '../src/util/logger.js';

// A jail's operations in-process, with an action that records what it was asked: manual and fleet bans,
// network bans absorbing the addresses they cover, unbans, reconfiguration, read-back, host names.
const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

afterEach(() => {
  vi.useRealTimers();
});

function recorder(name: string, listed: ListedBan[] = []) {
  const calls: string[] = [];
  const definition = defineAction({
    id: name,
    create: (): ActionInstance => ({
      start: async () => void calls.push('start'),
      stop: async () => void calls.push('stop'),
      // One entry per ticket: how the runner batches them is its own business.
      ban: async (tickets: readonly BanTicket[]) => void calls.push(...tickets.map((t) => `ban ${t.ip}`)),
      unban: async (tickets: readonly BanTicket[]) => void calls.push(...tickets.map((t) => `unban ${t.ip}`)),
      list: async () => listed,
    }),
  });
  const action: ComposedAction = { id: name, options: {}, definition, plugin: 'test' };
  return { calls, action };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_o: unknown, m?: string) => void lines.push(`${level} ${m ?? _o}`);
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger as Logger & { lines: string[] };
}

async function makeJail(
  jail: Record<string, unknown>,
  o: { actions?: ComposedAction[]; ignore?: string[]; store?: MemoryBanStore; resolve?: (h: string) => Promise<string[]>; readBack?: boolean; events?: JailEvents; progress?: ProgressStore } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'jail-ops-'));
  const loaded = await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log'), ...jail } } }, { dir });
  const settings = { ...loaded.jails[0]!, actions: o.actions ?? [] };
  const clock = { now: T0 };
  const logger = recordingLogger();
  const store = o.store ?? new MemoryBanStore();
  const instance = new Jail(settings, {
    store,
    logger,
    events: o.events ?? {},
    now: () => clock.now,
    configDir: dir,
    ignore: new AddressMatcher(o.ignore ?? []),
    resolveHost: o.resolve ?? (async () => []),
    historyWindow: 86_400_000,
    readBack: o.readBack,
    progress: o.progress,
  });
  const parser = new LineParser({ now: () => clock.now });
  const fail = (host: string, times = 1) => {
    for (let i = 0; i < times; i++) instance.process(parser.parse(`${new Date(clock.now).toISOString()} host demo[1]: auth failure from ${host}`), 0);
  };
  return { jail: instance, clock, logger, store, fail, parser, settings };
}

const net = (text: string) => parseNetwork(text)!;

describe('Jail operations', () => {
  it('bans by hand: refuses a network holding an ignored address, says when already covered', async () => {
    const { calls, action } = recorder('rec');
    const { jail } = await makeJail({}, { actions: [action], ignore: ['192.0.2.5'] });
    await jail.start();
    expect(jail.banManually(net('192.0.2.0/24'))).toBe('ignored');
    expect(jail.banManually(net('198.51.100.0/24'))).toBe('banned');
    expect(jail.banManually(net('198.51.100.7'))).toBe('already');
    expect(jail.banManually(net('198.51.100.0/24'))).toBe('already');
    expect(jail.banCovering(parseAddress('198.51.100.7')!)).toBe('198.51.100.0/24');
    expect(jail.banCovering(parseAddress('198.51.101.7')!)).toBeUndefined();
    expect(jail.currentBans()).toEqual([expect.objectContaining({ ip: '198.51.100.0/24', prefix: 24, reason: 'manual', failures: 0 })]);
    await jail.idle();
    expect(calls).toEqual(['start', 'ban 198.51.100.0/24']);
    await jail.stop();
  });

  it('a network ban lifts the address bans it covers; failures of covered addresses are not counted', async () => {
    const { calls, action } = recorder('rec');
    const { jail, fail } = await makeJail({ maxretry: 1 }, { actions: [action] });
    await jail.start();
    fail('203.0.113.9');
    fail('203.0.114.9');
    expect(jail.currentBans().map((b) => b.ip).sort()).toEqual(['203.0.113.9', '203.0.114.9']);
    jail.banManually(net('203.0.113.0/24'));
    expect(jail.currentBans().map((b) => b.ip).sort()).toEqual(['203.0.113.0/24', '203.0.114.9']);
    const failed = jail.totalFailed;
    fail('203.0.113.10');
    expect(jail.totalFailed).toBe(failed);
    await jail.idle();
    expect(calls.slice(0, 3)).toEqual(['start', 'ban 203.0.113.9', 'ban 203.0.114.9']);
    expect(calls.slice(3).sort()).toEqual(['ban 203.0.113.0/24', 'unban 203.0.113.9']);
    await jail.stop();
  });

  it('applies fleet bans unless ignored, held already or expired, keeping their time and count', async () => {
    const { jail, store } = await makeJail({}, { ignore: ['192.0.2.1'] });
    await jail.start();
    const remote = { time: T0 - 1000, bantime: 600_000, failures: 4, banCount: 2, origin: 'node-b' };
    expect(jail.applyFleetBan(net('192.0.2.1'), remote)).toBe('ignored');
    expect(jail.applyFleetBan(net('192.0.2.2'), { ...remote, time: T0 - 600_000 })).toBe('expired');
    expect(jail.applyFleetBan(net('192.0.2.2'), remote)).toBe('applied');
    expect(jail.applyFleetBan(net('192.0.2.2'), remote)).toBe('already');
    expect(jail.applyFleetBan(net('192.0.2.3'), { ...remote, bantime: -1, time: 0 })).toBe('applied');
    expect(jail.currentBans().find((b) => b.ip === '192.0.2.2')).toMatchObject({ time: T0 - 1000, expires: T0 - 1000 + 600_000, banCount: 2, failures: 4 });
    expect(store.currentBans('demo').find((b) => b.ip === '192.0.2.2')!.origin).toBe('node-b');
    expect(jail.currentBans().find((b) => b.ip === '192.0.2.3')!.expires).toBe(Number.POSITIVE_INFINITY);
    await jail.stop();
  });

  it('bans for a fleet count with the lines seen here; not twice, never an ignored or malformed key', async () => {
    const { jail, fail, store } = await makeJail({ maxretry: 5 }, { ignore: ['192.0.2.1'] });
    await jail.start();
    fail('198.51.100.4', 2);
    expect(jail.banForFleetCount('198.51.100.4', 5)).toBe(true);
    expect(jail.banForFleetCount('198.51.100.4', 6)).toBe(false);
    expect(jail.banForFleetCount('192.0.2.1', 5)).toBe(false);
    expect(jail.banForFleetCount('not an address', 5)).toBe(false);
    expect(jail.currentBans()).toEqual([expect.objectContaining({ ip: '198.51.100.4', failures: 5 })]);
    // The lines go to the store with the ban (memory keeps the ban without them).
    expect(store.currentBans('demo')[0]!.matches).toHaveLength(2);
    await jail.stop();
  });

  it('unban and unbanAll lift bans in the store and the actions; unknown addresses are no-ops', async () => {
    const { calls, action } = recorder('rec');
    const { jail, fail, store } = await makeJail({ maxretry: 1 }, { actions: [action] });
    await jail.start();
    fail('192.0.2.21');
    fail('192.0.2.22');
    fail('192.0.2.23');
    expect(jail.unban('192.0.2.99')).toBe(false);
    expect(jail.unban('192.0.2.21')).toBe(true);
    expect(jail.isBanned('192.0.2.21')).toBe(false);
    expect(store.currentBans('demo').map((b) => b.ip).sort()).toEqual(['192.0.2.22', '192.0.2.23']);
    expect(jail.unbanAll()).toBe(2);
    expect(jail.currentlyBanned).toBe(0);
    expect(store.currentBans('demo')).toEqual([]);
    await jail.idle();
    expect(calls.filter((c) => c.startsWith('unban')).sort()).toEqual(['unban 192.0.2.21', 'unban 192.0.2.22', 'unban 192.0.2.23']);
    await jail.stop();
  });

  it('lifts a ban when its time is up, and only once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { calls, action } = recorder('rec');
    const unbanned: string[] = [];
    const { jail, fail, clock } = await makeJail({ maxretry: 1, bantime: '1m' }, { actions: [action], events: { onUnban: (t) => unbanned.push(t.ip) } });
    await jail.start();
    fail('192.0.2.31');
    clock.now += 59_999;
    vi.advanceTimersByTime(59_999);
    expect(jail.isBanned('192.0.2.31')).toBe(true);
    clock.now += 1;
    vi.advanceTimersByTime(1);
    expect(jail.isBanned('192.0.2.31')).toBe(false);
    clock.now += 120_000;
    vi.advanceTimersByTime(120_000);
    expect(unbanned).toEqual(['192.0.2.31']);
    vi.useRealTimers();
    await jail.idle();
    expect(calls).toEqual(['start', 'ban 192.0.2.31', 'unban 192.0.2.31']);
    await jail.stop();
  });

  it('bans the failing address alone when the verdict network holds an ignored address', async () => {
    const { jail, fail, logger } = await makeJail({ maxretry: 2, ipv6prefix: 64 }, { ignore: ['2001:db8:5::1'] });
    await jail.start();
    fail('2001:db8:5::7', 2);
    expect(jail.currentBans().map((b) => [b.ip, b.prefix])).toEqual([['2001:db8:5::7', undefined]]);
    expect(logger.lines.some((l) => l.startsWith('warn not banning 2001:db8:5::/64 whole'))).toBe(true);
    await jail.stop();
  });

  it('ignores ignored hosts, lines older than findtime, and says once that undated lines do not count', async () => {
    const { jail, fail, clock, parser, logger } = await makeJail({ maxretry: 1, findtime: '10m' }, { ignore: ['192.0.2.40'] });
    await jail.start();
    fail('192.0.2.40');
    const old = new Date(clock.now - 600_001).toISOString();
    jail.process(parser.parse(`${old} host demo[1]: auth failure from 192.0.2.41`), 0);
    const edge = new Date(clock.now - 600_000).toISOString();
    jail.process(parser.parse(`${edge} host demo[1]: auth failure from 192.0.2.42`), 0);
    jail.process(parser.parse('auth failure from 192.0.2.43'), 0);
    jail.process(parser.parse('auth failure from 192.0.2.44'), 0);
    expect(jail.currentBans().map((b) => b.ip)).toEqual(['192.0.2.42']);
    expect(logger.lines.filter((l) => l.includes('has no date'))).toHaveLength(1);
    await jail.stop();
  });

  it('usedns: no ignores host names; warn and yes count every address they resolve to', async () => {
    for (const usedns of ['no', 'warn', 'yes'] as const) {
      const asked: string[] = [];
      const resolve = async (h: string) => {
        asked.push(h);
        return ['192.0.2.77', '2001:db8::77', 'garbage'];
      };
      const { jail, fail, logger } = await makeJail({ maxretry: 1, usedns, ipv6prefix: 128 }, { resolve });
      await jail.start();
      fail('attacker.test');
      await new Promise((r) => setImmediate(r));
      expect(asked).toEqual(usedns === 'no' ? [] : ['attacker.test']);
      expect(jail.currentBans().map((b) => b.ip).sort()).toEqual(usedns === 'no' ? [] : ['192.0.2.77', '2001:db8::77']);
      expect(logger.lines.some((l) => l.startsWith('warn resolved host name attacker.test'))).toBe(usedns === 'warn');
      await jail.stop();
    }
    const { jail, fail, logger } = await makeJail({ maxretry: 1, usedns: 'yes' }, { resolve: async () => Promise.reject(new Error('NXDOMAIN')) });
    await jail.start();
    fail('nowhere.test');
    await new Promise((r) => setImmediate(r));
    expect(logger.lines).toContain('warn cannot resolve nowhere.test');
    await jail.stop();
  });

  it('reconfigure keeps bans and running actions; a new action gets the current bans, a dropped one stops', async () => {
    const a = recorder('a');
    const b = recorder('b');
    const { jail, fail, settings } = await makeJail({ maxretry: 1 }, { actions: [a.action] });
    await jail.start();
    fail('192.0.2.51');
    await jail.reconfigure({ ...settings, maxretry: 3, actions: [b.action] });
    await jail.idle();
    expect(a.calls).toEqual(['start', 'ban 192.0.2.51', 'stop']);
    expect(b.calls).toEqual(['start', 'ban 192.0.2.51']);
    expect(jail.config.maxretry).toBe(3);
    fail('192.0.2.52', 2);
    expect(jail.isBanned('192.0.2.52')).toBe(false);
    fail('192.0.2.52');
    expect(jail.isBanned('192.0.2.52')).toBe(true);
    expect(jail.actionStatus().map((s) => s.id)).toEqual(['b']);
    await jail.stop();
  });

  it('reads back the canonical bans the actions still hold when the store lost them', async () => {
    const listed = [
      { ip: '192.0.2.61', expires: T0 + 60_000 },
      { ip: '192.0.2.062', expires: T0 + 60_000 },
      { ip: '192.0.2.63', expires: T0 - 1 },
      { ip: '192.0.2.64', expires: Number.POSITIVE_INFINITY },
      { ip: '192.0.2.65', expires: T0 + 60_000 },
    ];
    const rec = recorder('rec', listed);
    const { jail, logger } = await makeJail({}, { actions: [rec.action], readBack: true, ignore: ['192.0.2.65'] });
    await jail.start();
    expect(jail.currentBans().map((b) => [b.ip, b.expires, b.reason])).toEqual([
      ['192.0.2.61', T0 + 60_000, 'restore'],
      ['192.0.2.64', Number.POSITIVE_INFINITY, 'restore'],
    ]);
    expect(jail.currentBans()[1]!.bantime).toBe(-1);
    expect(logger.lines).toContain('warn read back 2 ban(s) the actions still held but the store had lost');
    await jail.stop();
  });

  it('drops stored bans whose target is not canonical, saying so', async () => {
    const store = new MemoryBanStore();
    const ban = (ip: string): BanTicket => ({ ip, family: 4, prefix: undefined, jail: 'demo', time: T0, bantime: 600_000, expires: T0 + 600_000, failures: 1, banCount: 1, matches: [], users: [], reason: 'failures' });
    store.addBan(ban('192.0.2.071'));
    store.addBan(ban('192.0.2.72'));
    const { jail, logger } = await makeJail({}, { store });
    await jail.start();
    expect(jail.currentBans().map((b) => b.ip)).toEqual(['192.0.2.72']);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['192.0.2.72']);
    expect(logger.lines).toContain('warn dropping a stored ban whose target is not a canonical address or network');
    expect(logger.lines).toContain('info restored 1 ban(s)');
    await jail.stop();
  });

  it('reports failures, counts, bans and the latency of applied bans through its events', async () => {
    const seen: string[] = [];
    const rec = recorder('rec');
    const events: JailEvents = {
      onFailure: (jail, f) => seen.push(`failure ${jail} ${f.host}`),
      onCounted: (jail, key) => seen.push(`counted ${jail} ${key}`),
      onBan: (t) => seen.push(`ban ${t.ip}`),
      onBanApplied: (jail) => seen.push(`applied ${jail}`),
    };
    const { jail, fail } = await makeJail({ maxretry: 2 }, { actions: [rec.action], events });
    await jail.start();
    fail('192.0.2.81', 2);
    await jail.idle();
    expect(seen).toEqual(['failure demo 192.0.2.81', 'counted demo 192.0.2.81', 'failure demo 192.0.2.81', 'counted demo 192.0.2.81', 'ban 192.0.2.81', 'applied demo']);
    expect(jail.totalFailed).toBe(2);
    expect(jail.totalBanned).toBe(1);
    expect(jail.unappliedBans().size).toBe(0);
    await jail.stop();
  });

  it('restores network bans with their prefix, so they still cover their addresses', async () => {
    const store = new MemoryBanStore();
    const stored = (ip: string, family: 4 | 6, prefix: number | undefined): BanTicket => ({ ip, family, prefix, jail: 'demo', time: T0, bantime: 600_000, expires: T0 + 600_000, failures: 1, banCount: 1, matches: [], users: [], reason: 'failures' });
    store.addBan(stored('198.51.100.0/24', 4, 24));
    store.addBan(stored('2001:db8:9::/64', 6, 64));
    store.addBan(stored('192.0.2.9', 4, undefined));
    store.addBan(stored('2001:db8::9', 6, undefined));
    const { jail } = await makeJail({}, { store });
    await jail.start();
    expect(jail.currentBans().map((b) => [b.ip, b.family, b.prefix]).sort()).toEqual([
      ['192.0.2.9', 4, undefined],
      ['198.51.100.0/24', 4, 24],
      ['2001:db8:9::/64', 6, 64],
      ['2001:db8::9', 6, undefined],
    ]);
    expect(jail.banCovering(parseAddress('198.51.100.200')!)).toBe('198.51.100.0/24');
    expect(jail.banCovering(parseAddress('2001:db8:9::1')!)).toBe('2001:db8:9::/64');
    await jail.stop();
  });

  it('reads back network bans with their prefix', async () => {
    const rec = recorder('rec', [
      { ip: '203.0.113.0/24', expires: T0 + 60_000 },
      { ip: '2001:db8:7::/48', expires: T0 + 60_000 },
      { ip: '2001:db8::70', expires: T0 + 60_000 },
    ]);
    const { jail } = await makeJail({}, { actions: [rec.action], readBack: true });
    await jail.start();
    expect(jail.currentBans().map((b) => [b.ip, b.family, b.prefix])).toEqual([
      ['203.0.113.0/24', 4, 24],
      ['2001:db8:7::/48', 6, 48],
      ['2001:db8::70', 6, undefined],
    ]);
    expect(jail.banCovering(parseAddress('203.0.113.5')!)).toBe('203.0.113.0/24');
    await jail.stop();
  });

  it('recompiles the filter when its options change on reconfigure', async () => {
    const { jail, clock, parser, settings } = await makeJail({ maxretry: 1 });
    await jail.start();
    const probe = (ip: string) => jail.process(parser.parse(`${new Date(clock.now).toISOString()} host demo[1]: probe from ${ip}`), 0);
    probe('192.0.2.91');
    expect(jail.isBanned('192.0.2.91')).toBe(false);
    await jail.reconfigure({ ...settings, filterOptions: { mode: 'aggressive' } });
    probe('192.0.2.92');
    expect(jail.isBanned('192.0.2.92')).toBe(true);
    await jail.reconfigure({ ...settings, filterOptions: settings.filterOptions });
    probe('192.0.2.93');
    expect(jail.isBanned('192.0.2.93')).toBe(false);
    await jail.stop();
  });

  it('lists the bans an action failed to apply, with its error', async () => {
    const failing = defineAction({
      id: 'refusing',
      create: (): ActionInstance => ({
        ban: async () => {
          throw new Error('firewall says no');
        },
        unban: async () => undefined,
      }),
    });
    const ok = recorder('ok');
    const { jail, fail } = await makeJail({ maxretry: 1 }, { actions: [{ id: 'refusing', options: {}, definition: failing, plugin: 'test' }, ok.action] });
    await jail.start();
    fail('192.0.2.95');
    await new Promise((r) => setTimeout(r, 0));
    const unapplied = jail.unappliedBans();
    expect([...unapplied.keys()]).toEqual(['192.0.2.95']);
    expect(unapplied.get('192.0.2.95')).toEqual([{ action: 'refusing', error: expect.stringContaining('firewall says no') }]);
    jail.unban('192.0.2.95');
    expect(jail.unappliedBans().size).toBe(0);
    await jail.stop();
  });

  it('resumes counting the failures saved before a restart, except banned and non-canonical hosts', async () => {
    const store = new MemoryBanStore();
    store.addBan({ ip: '192.0.2.12', family: 4, prefix: undefined, jail: 'demo', time: T0, bantime: 600_000, expires: T0 + 600_000, failures: 3, banCount: 1, matches: [], users: [], reason: 'failures' });
    const progress: ProgressStore = {
      getPosition: () => undefined,
      saveProgress: () => undefined,
      failures: () => [
        { jail: 'demo', host: '192.0.2.11', times: [T0 - 2000, T0 - 1000] },
        { jail: 'demo', host: '192.0.2.12', times: [T0 - 1000] },
        { jail: 'demo', host: '192.0.2.013', times: [T0 - 1000] },
      ],
    };
    const { jail, fail, logger } = await makeJail({ maxretry: 3 }, { store, progress });
    await jail.start();
    expect(jail.currentlyFailed).toBe(1);
    expect(logger.lines).toContain('info resumed counting the failures of 1 host(s)');
    fail('192.0.2.11');
    expect(jail.isBanned('192.0.2.11')).toBe(true);
    expect(jail.failures(true)).toEqual([]);
    await jail.stop();
  });
});
