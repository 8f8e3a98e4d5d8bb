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
import { ProgressBuffer } from '../src/store/progress-buffer.js';
import { saveProgress } from '../src/compose/save-progress.js';
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
  const contexts: unknown[] = [];
  const definition = defineAction({
    id: name,
    create: (_options, context): ActionInstance => {
      contexts.push(context);
      return {
        start: async () => void calls.push('start'),
        stop: async () => void calls.push('stop'),
        // One entry per ticket: how the runner batches them is its own business.
        ban: async (tickets: readonly BanTicket[]) => void calls.push(...tickets.map((t) => `ban ${t.ip}`)),
        unban: async (tickets: readonly BanTicket[]) => void calls.push(...tickets.map((t) => `unban ${t.ip}`)),
        list: async () => listed,
      };
    },
  });
  const action: ComposedAction = { id: name, options: {}, definition, plugin: 'test' };
  return { calls, action, contexts };
}

/** What a JSON log line would carry: level, message, and the fields with the child loggers' bindings. */
type LogEntry = { level: string; msg: string | undefined; fields: Record<string, unknown> };

function recordingLogger(): Logger & { lines: string[]; entries: LogEntry[] } {
  const lines: string[] = [];
  const entries: LogEntry[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at = (level: string) => (o: unknown, m?: string) => {
      lines.push(`${level} ${m ?? o}`);
      entries.push({ level, msg: m ?? (typeof o === 'string' ? o : undefined), fields: { ...bindings, ...(typeof o === 'object' ? (o as object) : {}) } });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b: Record<string, unknown>) => make({ ...bindings, ...b }) } as unknown as Logger;
  };
  return Object.assign(make({}), { lines, entries });
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
    // A failure counts while now - time < findtime: exactly findtime old it no longer does.
    const edge = new Date(clock.now - 600_000).toISOString();
    jail.process(parser.parse(`${edge} host demo[1]: auth failure from 192.0.2.45`), 0);
    const inside = new Date(clock.now - 599_999).toISOString();
    jail.process(parser.parse(`${inside} host demo[1]: auth failure from 192.0.2.42`), 0);
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

describe('Jail operations: restore, batches, ban lengths and housekeeping', () => {
  const stored = (ip: string, expires: number): BanTicket => ({ ip, family: 4, prefix: undefined, jail: 'demo', time: expires - 600_000, bantime: 600_000, expires, failures: 1, banCount: 1, matches: [], users: [], reason: 'failures' });

  /** A store that steps through its rows (as SQLite does) and refuses writes meanwhile, and removes in batches. */
  class SteppingStore extends MemoryBanStore {
    stepping = false;
    batches: string[][] = [];
    forEachCurrentBan(jail: string, visit: (ban: BanTicket) => void): void {
      this.stepping = true;
      try {
        for (const ban of this.currentBans(jail)) visit(ban as BanTicket);
      } finally {
        this.stepping = false;
      }
    }
    override removeBan(jail: string, ip: string): boolean {
      if (this.stepping) throw new Error('the store is busy reading');
      return super.removeBan(jail, ip);
    }
    removeBans(jail: string, ips: readonly string[]): number {
      this.batches.push([...ips]);
      let n = 0;
      for (const ip of ips) if (super.removeBan(jail, ip)) n++;
      return n;
    }
  }

  it('restores from a store that steps through its rows, removing the expired ones only after the read, quietly', async () => {
    const store = new SteppingStore();
    store.addBan(stored('192.0.2.1', T0)); // ended exactly now
    store.addBan(stored('192.0.2.2', T0 + 1));
    const rec = recorder('rec');
    const { jail, logger } = await makeJail({}, { store, actions: [rec.action] });
    await jail.start();
    await jail.idle();
    expect(jail.currentBans().map((b) => [b.ip, b.reason])).toEqual([['192.0.2.2', 'restore']]);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['192.0.2.2']);
    expect(rec.calls).toEqual(['start', 'ban 192.0.2.2']);
    // An ended ban is no news: only a non-canonical target is worth a warning.
    expect(logger.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    expect(logger.lines).toContain('info restored 1 ban(s)');
    await jail.stop();
  });

  it('gives every action the same restore batch of the bans as they are when it goes out', async () => {
    const batches: (readonly BanTicket[])[] = [];
    const keeper = (id: string): ComposedAction => ({
      id,
      options: {},
      plugin: 'test',
      definition: defineAction({ id, create: () => ({ ban: async (tickets) => void batches.push(tickets), unban: async () => {} }) }),
    });
    const fill = () => {
      const store = new SteppingStore();
      store.addBan(stored('192.0.2.1', T0 + 60_000));
      store.addBan(stored('192.0.2.2', T0 + 60_000));
      store.addBan({ ...stored('198.51.100.0/24', T0 + 60_000), reason: 'subnet' });
      return store;
    };
    // Unchanged since start: one list for both actions, the tickets the jail lists.
    let { jail } = await makeJail({}, { store: fill(), actions: [keeper('a'), keeper('b')] });
    await jail.start();
    await jail.idle();
    expect(batches).toHaveLength(2);
    expect(batches[1]).toBe(batches[0]);
    expect(batches[0]).toEqual(jail.currentBans().map((t) => ({ ...t, reason: 'restore' })));
    expect(batches[0]!.map((t) => [t.ip, t.family, t.prefix])).toEqual([
      ['192.0.2.1', 4, undefined],
      ['192.0.2.2', 4, undefined],
      ['198.51.100.0/24', 4, 24],
    ]);
    await jail.stop();
    // A ban lifted before the batch goes out is left out of it.
    batches.length = 0;
    ({ jail } = await makeJail({}, { store: fill(), actions: [keeper('a'), keeper('b')] }));
    await jail.start();
    jail.unban('192.0.2.1');
    await jail.idle();
    expect(batches.map((b) => b.map((t) => t.ip))).toEqual([
      ['192.0.2.2', '198.51.100.0/24'],
      ['192.0.2.2', '198.51.100.0/24'],
    ]);
    await jail.stop();
  });

  it('restores IPv4 and IPv6 addresses and networks in one batch; one of each kind lifted before it goes out is left out', async () => {
    const batches: (readonly BanTicket[])[] = [];
    const keeper: ComposedAction = {
      id: 'keeper',
      options: {},
      plugin: 'test',
      definition: defineAction({ id: 'keeper', create: () => ({ ban: async (tickets) => void batches.push(tickets), unban: async () => {} }) }),
    };
    const store = new SteppingStore();
    const targets = ['192.0.2.1', '2001:db8::1', '198.51.100.0/24', '2001:db8:1::/48', '192.0.2.2', '2001:db8::2', '203.0.113.0/24'];
    for (const ip of targets) store.addBan({ ...stored(ip, T0 + 60_000), family: ip.includes(':') ? 6 : 4 });
    const { jail } = await makeJail({}, { store, actions: [keeper] });
    await jail.start();
    // Queued, not yet applied: the batch counts and lists its addresses without a ticket.
    expect(jail.actionStatus()[0]!.backlog).toBe(7);
    expect([...jail.unappliedBans().keys()]).toEqual(targets);
    for (const ip of ['192.0.2.1', '2001:db8::1', '198.51.100.0/24']) jail.unban(ip);
    await jail.idle();
    expect(batches[0]!.map((t) => [t.ip, t.family, t.prefix, t.reason])).toEqual([
      ['2001:db8:1::/48', 6, 48, 'restore'],
      ['192.0.2.2', 4, undefined, 'restore'],
      ['2001:db8::2', 6, undefined, 'restore'],
      ['203.0.113.0/24', 4, 24, 'restore'],
    ]);
    await jail.stop();
  });

  it('builds a restore ticket when an action reads it: the ban as it is then, a ban lifted meanwhile as it went out', async () => {
    const store = new SteppingStore();
    store.addBan(stored('192.0.2.1', T0 + 60_000));
    store.addBan(stored('192.0.2.2', T0 + 120_000));
    store.addBan(stored('192.0.2.3', T0 + 180_000));
    const read: { ip: string; expires: number; reason?: string | undefined }[] = [];
    let jail!: Jail;
    const reader: ComposedAction = {
      id: 'reader',
      options: {},
      plugin: 'test',
      definition: defineAction({
        id: 'reader',
        create: () => ({
          ban: async (tickets) => {
            if (read.length) return; // the manual ban below, as a batch of its own
            read.push(tickets[1]!);
            // Lifted, then banned anew, while the action is reading its batch.
            jail.unban('192.0.2.2');
            jail.unban('192.0.2.3');
            jail.banManually(parseNetwork('192.0.2.3')!);
            for (const t of tickets) read.push(t);
          },
          unban: async () => {},
        }),
      }),
    };
    ({ jail } = await makeJail({}, { store, actions: [reader] }));
    await jail.start();
    await jail.idle();
    expect(read.map((t) => [t.ip, t.reason])).toEqual([
      ['192.0.2.2', 'restore'],
      ['192.0.2.1', 'restore'],
      ['192.0.2.2', 'restore'],
      ['192.0.2.3', 'restore'],
    ]);
    expect(read[0]!.expires).toBe(T0 + 120_000);
    expect(read[1]!.expires).toBe(T0 + 60_000);
    // Lifted: a ticket that has already ended (its unban is queued behind the batch).
    expect(read[2]!.expires).toBeLessThanOrEqual(T0 + 1_000);
    // Banned anew: the new ban's end, looked up by address now that the bans have changed.
    expect(read[3]!.expires).toBe(jail.currentBans().find((b) => b.ip === '192.0.2.3')!.expires);
    expect(read[3]!.expires).not.toBe(T0 + 180_000);
    await jail.stop();
  });

  it('says nothing of restoring when no ban was in force', async () => {
    const store = new MemoryBanStore();
    store.addBan(stored('192.0.2.1', T0 - 1));
    const { jail, logger } = await makeJail({}, { store });
    await jail.start();
    expect(jail.currentlyBanned).toBe(0);
    expect(logger.lines.filter((l) => l.includes('restored') || l.includes('resumed'))).toEqual([]);
    await jail.stop();
  });

  it('lifts a batch of bans in one store call, skipping addresses not banned; a store error is logged, the bans still lift', async () => {
    const store = new SteppingStore();
    const rec = recorder('rec');
    const unbanned: string[] = [];
    const { jail, fail, logger } = await makeJail({ maxretry: 1 }, { store, actions: [rec.action], events: { onUnban: (t) => unbanned.push(t.ip) } });
    await jail.start();
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) fail(ip);
    expect(jail.unbanBatch(['192.0.2.9'])).toEqual([]);
    expect(jail.unbanBatch(['192.0.2.1', '192.0.2.9', '192.0.2.2'])).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(store.batches).toEqual([['192.0.2.1', '192.0.2.2']]);
    expect(jail.currentBans().map((b) => b.ip)).toEqual(['192.0.2.3']);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['192.0.2.3']);
    expect(unbanned).toEqual(['192.0.2.1', '192.0.2.2']);
    expect(logger.lines).toContain('info unbanned 2 address(es)');
    store.removeBans = () => {
      throw new Error('disk full');
    };
    expect(jail.unbanBatch(['192.0.2.3'])).toEqual(['192.0.2.3']);
    expect(jail.currentlyBanned).toBe(0);
    expect(logger.lines).toContain('error could not remove the bans from the store');
    await jail.idle();
    expect(rec.calls.filter((c) => c.startsWith('unban')).sort()).toEqual(['unban 192.0.2.1', 'unban 192.0.2.2', 'unban 192.0.2.3']);
    await jail.stop();
  });

  it('lifts a batch through removeBan one by one when the store has no batch removal', async () => {
    const { jail, fail, store } = await makeJail({ maxretry: 1 });
    await jail.start();
    fail('192.0.2.1');
    fail('198.51.100.0');
    jail.banManually(net('203.0.113.0/24'));
    expect(jail.unbanBatch(['192.0.2.1', '203.0.113.0/24'])).toEqual(['192.0.2.1', '203.0.113.0/24']);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['198.51.100.0']);
    // The network ban is gone with it: its addresses count again.
    fail('203.0.113.5');
    expect(jail.isBanned('203.0.113.5')).toBe(true);
    await jail.stop();
  });

  it('a ban lifted by hand and made again is not lifted by the first one\'s time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { jail, fail, clock } = await makeJail({ maxretry: 1, bantime: '1m' });
    await jail.start();
    fail('192.0.2.31');
    clock.now += 30_000;
    vi.advanceTimersByTime(30_000);
    jail.unban('192.0.2.31');
    fail('192.0.2.31');
    clock.now += 30_000;
    vi.advanceTimersByTime(30_000);
    expect(jail.isBanned('192.0.2.31')).toBe(true);
    clock.now += 30_000;
    vi.advanceTimersByTime(30_000);
    expect(jail.isBanned('192.0.2.31')).toBe(false);
    await jail.stop();
  });

  it('increment counts only the bans inside the history window', async () => {
    const store = new MemoryBanStore();
    // historyWindow is one day here: the ban 25 hours ago is forgotten, the one 23 hours ago counts.
    store.addBan(stored('192.0.2.40', T0 - 25 * 3_600_000));
    store.addBan(stored('192.0.2.40', T0 - 23 * 3_600_000));
    store.removeBan('demo', '192.0.2.40');
    const { jail, fail } = await makeJail({ maxretry: 1, bantime: '10m', increment: { factor: 2, maxtime: '1d' } }, { store });
    await jail.start();
    fail('192.0.2.40');
    expect(jail.currentBans().map((b) => [b.banCount, b.bantime])).toEqual([[2, 1_200_000]]);
    await jail.stop();
  });

  it('a permanent ban stays permanent under increment', async () => {
    const store = new MemoryBanStore();
    store.addBan(stored('192.0.2.41', T0 - 3_600_000));
    store.removeBan('demo', '192.0.2.41');
    const { jail, fail } = await makeJail({ maxretry: 1, bantime: -1, increment: { factor: 2, maxtime: '1d' } }, { store });
    await jail.start();
    fail('192.0.2.41');
    expect(jail.currentBans().map((b) => [b.banCount, b.bantime, b.expires])).toEqual([[2, -1, Number.POSITIVE_INFINITY]]);
    await jail.stop();
  });

  it('a campaign ban lasts the longer of bantime and the campaign, and a permanent bantime stays permanent', async () => {
    const campaign = { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 };
    for (const [bantime, expected] of [['10m', 3_600_000], ['2h', 7_200_000], [-1, -1]] as const) {
      const { jail, fail } = await makeJail({ maxretry: 10, bantime, campaign });
      await jail.start();
      // The demo filter names no user: the campaign's target is the jail.
      fail('192.0.2.1');
      fail('192.0.2.2');
      expect(jail.campaignsStarted).toBe(1);
      fail('203.0.113.7');
      expect(jail.currentBans().map((b) => [b.ip, b.reason, b.bantime])).toEqual([['203.0.113.7', 'campaign', expected]]);
      await jail.stop();
    }
  });

  it('a ban carries the lines of its host: a sweep forgets the lines of hosts idle for findtime', async () => {
    const { jail, fail, clock, store } = await makeJail({ maxretry: 3, findtime: '10m' });
    await jail.start();
    const line = (at: number, ip: string) => `${new Date(at).toISOString()} host demo[1]: auth failure from ${ip}`;
    fail('192.0.2.50'); // idle for 11 minutes at the sweep
    clock.now += 5 * 60_000;
    fail('192.0.2.51'); // idle for 6 minutes at the sweep
    clock.now += 6 * 60_000;
    jail.sweep();
    const now = clock.now;
    fail('192.0.2.50', 3);
    fail('192.0.2.51', 2);
    const matches = (ip: string) => store.currentBans('demo').find((b) => b.ip === ip)?.matches;
    expect(matches('192.0.2.50')).toEqual([line(now, '192.0.2.50'), line(now, '192.0.2.50'), line(now, '192.0.2.50')]);
    expect(matches('192.0.2.51')).toEqual([line(T0 + 5 * 60_000, '192.0.2.51'), line(now, '192.0.2.51'), line(now, '192.0.2.51')]);
    await jail.stop();
  });

  it('saves the running campaigns when it stops', async () => {
    const store = new MemoryBanStore();
    const { jail, fail } = await makeJail({ maxretry: 10, campaign: { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 } }, { store });
    await jail.start();
    fail('192.0.2.1');
    fail('192.0.2.2');
    expect(store.readState('campaigns:demo')).toBeUndefined();
    await jail.stop();
    expect(JSON.parse(store.readState('campaigns:demo')!)).toEqual([expect.objectContaining({ target: 'demo', failures: 2, sources: 2 })]);
  });

  it('reports the latency of bans from lines only: a ban by hand has none', async () => {
    const applied: string[] = [];
    const rec = recorder('rec');
    const { jail } = await makeJail({}, { actions: [rec.action], events: { onBanApplied: (j) => applied.push(j) } });
    await jail.start();
    jail.banManually(net('192.0.2.60'));
    await jail.idle();
    expect(rec.calls).toEqual(['start', 'ban 192.0.2.60']);
    expect(applied).toEqual([]);
    await jail.stop();
  });

  it('bans the failing IPv4 address alone when its subnet verdict holds an ignored address', async () => {
    const { jail, fail, logger } = await makeJail({ maxretry: 5, subnet: { ipv4: 24, maxretry: 2 } }, { ignore: ['198.51.100.5'] });
    await jail.start();
    fail('198.51.100.7', 2);
    expect(jail.currentBans().map((b) => [b.ip, b.family, b.prefix])).toEqual([['198.51.100.7', 4, undefined]]);
    expect(logger.lines.some((l) => l.startsWith('warn not banning 198.51.100.0/24 whole'))).toBe(true);
    // The subnet's count was dropped with the verdict: its neighbours are banned one by one as they fail.
    fail('198.51.100.8');
    expect(jail.isBanned('198.51.100.8')).toBe(false);
    await jail.stop();
  });

  it('reads back what it can when an action cannot list its bans', async () => {
    const broken = defineAction({
      id: 'broken',
      create: (): ActionInstance => ({
        ban: async () => undefined,
        unban: async () => undefined,
        list: async () => {
          throw new Error('no such table');
        },
      }),
    });
    const ok = recorder('ok', [{ ip: '192.0.2.70', expires: T0 + 60_000 }]);
    const { jail, logger } = await makeJail({}, { actions: [{ id: 'broken', options: {}, definition: broken, plugin: 'test' }, ok.action], readBack: true });
    await jail.start();
    expect(jail.currentBans().map((b) => [b.ip, b.bantime])).toEqual([['192.0.2.70', 60_000]]);
    expect(logger.lines).toContain('warn cannot read back the bans of action broken');
    await jail.stop();
  });

  it('logs bans, unbans and covered addresses with their fields, under the jail and the action', async () => {
    const rec = recorder('rec');
    const { jail, fail, logger } = await makeJail({ maxretry: 1, bantime: '10m' }, { actions: [rec.action] });
    await jail.start();
    fail('203.0.113.9');
    jail.banManually(net('203.0.113.0/24'));
    jail.unban('203.0.113.0/24');
    await jail.idle();
    const said = logger.entries.filter((e) => e.level === 'info');
    expect(said).toEqual([
      { level: 'info', msg: 'ban 203.0.113.9', fields: { jail: 'demo', ip: '203.0.113.9', failures: 1, bantime: 600_000, banCount: 1 } },
      { level: 'info', msg: '203.0.113.9 is now covered by the ban of 203.0.113.0/24', fields: { jail: 'demo', ip: '203.0.113.9', network: '203.0.113.0/24' } },
      { level: 'info', msg: 'unban 203.0.113.9', fields: { jail: 'demo', ip: '203.0.113.9' } },
      { level: 'info', msg: 'ban 203.0.113.0/24', fields: { jail: 'demo', ip: '203.0.113.0/24', failures: 0, bantime: 600_000, banCount: 1 } },
      { level: 'info', msg: 'unban 203.0.113.0/24', fields: { jail: 'demo', ip: '203.0.113.0/24' } },
    ]);
    // The action is created for this jail, for real (not a dry run), and logs under its own id.
    expect(rec.contexts).toEqual([expect.objectContaining({ jail: { name: 'demo', ports: jail.config.ports, protocol: jail.config.protocol, bantime: 600_000 }, dryRun: false })]);
    const actionLogger = (rec.contexts[0] as { logger: Logger }).logger;
    actionLogger.info({}, 'hello');
    expect(logger.entries.at(-1)).toEqual({ level: 'info', msg: 'hello', fields: { jail: 'demo', action: 'rec' } });
    // With the network ban lifted, its addresses count again.
    fail('203.0.113.10');
    expect(jail.isBanned('203.0.113.10')).toBe(true);
    await jail.stop();
    expect(rec.calls.at(-1)).toBe('stop');
  });

  it('logs what it could not store or resolve, and the lines it cannot count, with their fields', async () => {
    const store = new MemoryBanStore();
    const { jail, fail, logger, parser } = await makeJail({ maxretry: 1, usedns: 'warn' }, { store, resolve: async (h) => (h === 'bad.test' ? Promise.reject(new Error('NXDOMAIN')) : ['192.0.2.77']) });
    await jail.start();
    const full = new Error('disk full');
    store.addBan = () => {
      throw full;
    };
    fail('192.0.2.1');
    expect(jail.isBanned('192.0.2.1')).toBe(true);
    store.removeBan = () => {
      throw full;
    };
    jail.unban('192.0.2.1');
    expect(jail.isBanned('192.0.2.1')).toBe(false);
    fail('bad.test');
    fail('good.test');
    await new Promise((r) => setImmediate(r));
    jail.process(parser.parse('auth failure from 192.0.2.9'), 0);
    const problems = logger.entries.filter((e) => e.level !== 'info' && e.level !== 'debug');
    expect(problems).toEqual([
      { level: 'error', msg: 'could not record the ban in the store', fields: { jail: 'demo', err: full, ip: '192.0.2.1' } },
      { level: 'error', msg: 'could not remove the ban from the store', fields: { jail: 'demo', err: full, ip: '192.0.2.1' } },
      { level: 'warn', msg: 'resolved host name good.test; better log addresses', fields: { jail: 'demo', host: 'good.test', addresses: ['192.0.2.77'] } },
      { level: 'error', msg: 'could not record the ban in the store', fields: { jail: 'demo', err: full, ip: '192.0.2.77' } },
      { level: 'warn', msg: 'cannot resolve bad.test', fields: { jail: 'demo', host: 'bad.test', err: expect.objectContaining({ message: 'NXDOMAIN' }) } },
      { level: 'warn', msg: expect.stringContaining('has no date'), fields: { jail: 'demo', line: 'auth failure from 192.0.2.9' } },
    ]);
    expect(jail.isBanned('192.0.2.77')).toBe(true);
    await jail.stop();
  });

  it('a campaign is logged, reported and told to the actions; its ban carries the campaign', async () => {
    const seen: string[] = [];
    const campaigns: unknown[] = [];
    const definition = defineAction({ id: 'c', create: (): ActionInstance => ({ ban: async () => undefined, unban: async () => undefined, campaign: async (e) => void campaigns.push(e) }) });
    const { jail, fail, logger } = await makeJail(
      { maxretry: 10, campaign: { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 } },
      { actions: [{ id: 'c', options: {}, definition, plugin: 'test' }], events: { onCampaign: (e) => seen.push(`${e.target} ${e.failures} ${e.sources}`) } },
    );
    await jail.start();
    expect(jail.campaignsStarted).toBe(0);
    fail('192.0.2.1');
    fail('192.0.2.2');
    await jail.idle();
    const event = { jail: 'demo', target: 'demo', failures: 2, sources: 2, time: T0, until: T0 + 3_600_000 };
    expect(seen).toEqual(['demo 2 2']);
    expect(campaigns).toEqual([event]);
    expect(jail.campaignsStarted).toBe(1);
    expect(jail.activeCampaigns()).toEqual([event]);
    expect(logger.entries.find((e) => e.msg?.startsWith('campaign against'))).toEqual({
      level: 'warn',
      msg: `campaign against "demo": 2 failures from 2 sources; failing on it bans until ${new Date(T0 + 3_600_000).toISOString()}`,
      fields: { jail: 'demo', target: 'demo', failures: 2, sources: 2, until: new Date(T0 + 3_600_000).toISOString() },
    });
    await jail.stop();
  });

  it('a success line exempts its host from a campaign; a reload may change the filter', async () => {
    const { jail, fail, parser, clock, settings } = await makeJail({ maxretry: 10, campaign: { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 } });
    await jail.start();
    const withSuccess = { ...settings.filter, failregex: ['^auth failure from <HOST>$', { pattern: '^accepted from <HOST>$', kind: 'success' as const }] };
    await jail.reconfigure({ ...settings, filter: withSuccess });
    expect(jail.filterDefinition).toBe(withSuccess);
    jail.process(parser.parse(`${new Date(clock.now).toISOString()} host demo[1]: accepted from 192.0.2.99`), 0);
    fail('192.0.2.1');
    fail('192.0.2.2');
    expect(jail.campaignsStarted).toBe(1);
    fail('192.0.2.99');
    expect(jail.isBanned('192.0.2.99')).toBe(false);
    fail('192.0.2.98');
    expect(jail.isBanned('192.0.2.98')).toBe(true);
    await jail.stop();
  });

  it('reconfigure keeps a running action as it is, and a new ignore list applies at once', async () => {
    const a = recorder('a');
    const { jail, fail, settings } = await makeJail({ maxretry: 1 }, { actions: [a.action] });
    await jail.start();
    fail('192.0.2.1');
    await jail.reconfigure({ ...settings, maxretry: 1 }, new AddressMatcher(['192.0.2.2']));
    fail('192.0.2.2');
    expect(jail.isBanned('192.0.2.2')).toBe(false);
    await jail.idle();
    expect(a.calls).toEqual(['start', 'ban 192.0.2.1']);
    expect(jail.actionStatus().map((s) => s.id)).toEqual(['a']);
    await jail.stop();
  });

  it('keeps counting the failures it reports for saving: only what changed, or everything', async () => {
    const progress: ProgressStore = { getPosition: () => undefined, saveProgress: () => undefined, failures: () => [] };
    const { jail, fail, clock } = await makeJail({ maxretry: 3 }, { progress });
    await jail.start();
    fail('192.0.2.1');
    clock.now += 1000;
    fail('192.0.2.2');
    expect(jail.failures(false)).toEqual([
      { jail: 'demo', host: '192.0.2.1', times: [T0] },
      { jail: 'demo', host: '192.0.2.2', times: [T0 + 1000] },
    ]);
    expect(jail.failures(false)).toEqual([]);
    expect(jail.failures(true).map((f) => f.host)).toEqual(['192.0.2.1', '192.0.2.2']);
    await jail.stop();
  });

  it('saves changed failures as records built while the store reads them, visitable twice, then forgets them', async () => {
    const saves: { positions: string[]; first: string[]; again: string[]; isArray: boolean }[] = [];
    const progress: ProgressStore = {
      getPosition: () => undefined,
      saveProgress: ({ positions, failures }) => {
        const hosts = (): string[] => [...failures].map((f) => `${f.host} ${f.times.join(',')}`);
        saves.push({ positions: [...positions.keys()], first: hosts(), again: hosts(), isArray: Array.isArray(failures) });
      },
      failures: () => [],
    };
    const { jail, fail, clock } = await makeJail({ maxretry: 3 }, { progress });
    await jail.start();
    const positions = new ProgressBuffer({ getPosition: () => undefined });
    fail('192.0.2.1');
    clock.now += 1000;
    fail('192.0.2.1');
    fail('192.0.2.2');
    saveProgress([jail], positions, progress);
    expect(saves).toEqual([
      { positions: [], first: [`192.0.2.1 ${T0},${T0 + 1000}`, `192.0.2.2 ${T0 + 1000}`], again: [`192.0.2.1 ${T0},${T0 + 1000}`, `192.0.2.2 ${T0 + 1000}`], isArray: false },
    ]);
    // Nothing changed since: no save at all; then a position alone is saved without failures.
    saveProgress([jail], positions, progress);
    expect(saves).toHaveLength(1);
    positions.setPosition('/var/log/auth.log', { offset: 9 });
    saveProgress([jail], positions, progress);
    expect(saves[1]).toEqual({ positions: ['/var/log/auth.log'], first: [], again: [], isArray: false });
    await jail.stop();
  });

  it('forgets the changes a store threw on, as it does the positions: a save stays bounded', async () => {
    const progress: ProgressStore = {
      getPosition: () => undefined,
      saveProgress: () => {
        throw new Error('disk on fire');
      },
      failures: () => [],
    };
    const { jail, fail } = await makeJail({ maxretry: 3 }, { progress });
    await jail.start();
    fail('192.0.2.1');
    expect(() => saveProgress([jail], new ProgressBuffer({ getPosition: () => undefined }), progress)).toThrow('disk on fire');
    expect(jail.failuresChanged).toBe(false);
    expect(jail.failures(true).map((f) => f.host)).toEqual(['192.0.2.1']);
    await jail.stop();
  });

  it('re-applies the current bans when an action says its rules are gone', async () => {
    const calls: string[] = [];
    let intact = true;
    const definition = defineAction({
      id: 'checked',
      create: (): ActionInstance => ({
        start: async () => void calls.push('start'),
        ban: async (tickets) => void calls.push(...tickets.map((t) => `ban ${t.ip}`)),
        unban: async () => undefined,
        check: async () => intact,
      }),
    });
    const { jail, fail } = await makeJail({ maxretry: 1 }, { actions: [{ id: 'checked', options: {}, definition, plugin: 'test' }] });
    await jail.start();
    fail('192.0.2.1');
    await jail.idle();
    await jail.check();
    await jail.idle();
    expect(calls).toEqual(['start', 'ban 192.0.2.1']);
    intact = false;
    await jail.check();
    await jail.idle();
    expect(calls).toEqual(['start', 'ban 192.0.2.1', 'start', 'ban 192.0.2.1']);
    await jail.stop();
  });

  it('reports the latency of a ban once, when every action applied it', async () => {
    const applied: number[] = [];
    const a = recorder('a');
    const b = recorder('b');
    const { jail, parser, clock } = await makeJail({ maxretry: 1 }, { actions: [a.action, b.action], events: { onBanApplied: (_j, ms) => applied.push(ms) } });
    await jail.start();
    const t0 = performance.now();
    jail.process(parser.parse(`${new Date(clock.now).toISOString()} host demo[1]: auth failure from 192.0.2.1`), t0);
    await jail.idle();
    const upTo = performance.now() - t0;
    jail.unban('192.0.2.1');
    await jail.idle();
    expect(applied).toHaveLength(1);
    expect(applied[0]).toBeGreaterThanOrEqual(0);
    expect(applied[0]).toBeLessThanOrEqual(upTo);
    await jail.stop();
  });

  it('fleet and manual bans: covered targets refused, reason and empty lines recorded, a zero bantime already over', async () => {
    const { jail, store } = await makeJail({});
    await jail.start();
    jail.banManually(net('198.51.100.0/24'));
    const remote = { time: T0, bantime: 600_000, failures: 4, banCount: 1, origin: 'node-b' };
    expect(jail.applyFleetBan(net('198.51.100.7'), remote)).toBe('already');
    expect(jail.banForFleetCount('198.51.100.7', 5)).toBe(false);
    expect(jail.applyFleetBan(net('192.0.2.5'), { ...remote, bantime: 0 })).toBe('expired');
    expect(jail.applyFleetBan(net('192.0.2.6'), remote)).toBe('applied');
    expect(jail.banForFleetCount('192.0.2.7', 5)).toBe(true);
    expect(jail.banCovering(parseAddress('192.0.2.6')!)).toBe('192.0.2.6');
    expect(store.currentBans('demo').map((b) => [b.ip, b.reason, b.matches, b.users]).sort()).toEqual([
      ['192.0.2.6', 'failures', [], []],
      ['192.0.2.7', 'failures', [], []],
      ['198.51.100.0/24', 'manual', [], []],
    ]);
    expect(jail.bannedAddresses().sort()).toEqual(['192.0.2.6', '192.0.2.7', '198.51.100.0/24']);
    await jail.stop();
  });

  it('reads back nothing unless asked, and never a ban that ends now', async () => {
    const listed = [{ ip: '192.0.2.61', expires: T0 + 60_000 }, { ip: '192.0.2.62', expires: T0 }];
    const quiet = await makeJail({}, { actions: [recorder('rec', listed).action] });
    await quiet.jail.start();
    expect(quiet.jail.currentlyBanned).toBe(0);
    await quiet.jail.stop();
    const { jail, logger, store } = await makeJail({}, { actions: [recorder('rec', listed).action], readBack: true });
    await jail.start();
    expect(jail.currentBans().map((b) => [b.ip, b.bantime, b.prefix])).toEqual([['192.0.2.61', 60_000, undefined]]);
    expect(store.currentBans('demo').map((b) => [b.ip, b.matches, b.users])).toEqual([['192.0.2.61', [], []]]);
    expect(logger.entries.find((e) => e.msg?.startsWith('read back'))?.fields).toEqual({ jail: 'demo', adopted: 1 });
    await jail.stop();
  });
});
