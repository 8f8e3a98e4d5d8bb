import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CampaignEvent } from '../src/contract/ban-ticket.js';
import type { ComposedJail } from '../src/contract/composed-jail.js';
import { parseConfig } from '../src/compose/load-config.js';
import { Detection } from '../src/jail/detection.js';
import { MaxretryDetector } from '../src/jail/maxretry-detector.js';
import { TrackingBudget } from '../src/jail/tracking-budget.js';
import { MemoryBanStore } from '../src/store/memory-store.js';
import { parseAddress } from '../src/util/ip-address.js';
import { type Logger, silentLogger } from '../src/util/logger.js';
import { recordingLogger } from './recording-logger.js';

// A jail's detectors on their own: keys, which verdict wins, campaigns and the state they save.
const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

async function settings(jail: Record<string, unknown>): Promise<ComposedJail> {
  const dir = mkdtempSync(join(tmpdir(), 'detection-'));
  const loaded = await parseConfig({ plugins: [plugin], jails: { demo: { filter: 'demo', logpath: join(dir, 'demo.log'), ...jail } } }, { dir });
  return loaded.jails[0]!;
}

/** What a recording logger was told above debug, as `level message` lines. */
function told(logger: ReturnType<typeof recordingLogger>): string[] {
  return logger.records.filter((r) => r.level !== 'debug').map((r) => `${r.level} ${r.msg}`);
}

function detect(s: ComposedJail, logger: Logger = silentLogger, budget?: TrackingBudget) {
  const campaigns: CampaignEvent[] = [];
  const d = new Detection(s, budget, logger, (e) => campaigns.push(e));
  const observe = (host: string, time: number, user?: string) => {
    const ip = parseAddress(host)!;
    return d.observe({ ip, key: d.keyOf(ip), user, time });
  };
  return { d, observe, campaigns };
}

describe('Detection', () => {
  it('counts IPv4 per address and IPv6 per ipv6prefix', async () => {
    const { d } = detect(await settings({ ipv6prefix: 64 }));
    expect(d.keyOf(parseAddress('192.0.2.1')!)).toBe('192.0.2.1');
    expect(d.keyOf(parseAddress('2001:db8:1:2:3::4')!)).toBe('2001:db8:1:2::/64');
    const { d: exact } = detect(await settings({ ipv6prefix: 128 }));
    expect(exact.keyOf(parseAddress('2001:db8:1:2:3::4')!)).toBe('2001:db8:1:2:3::4');
  });

  it('bans a key at maxretry; the failures of one IPv6 prefix add up', async () => {
    const { d, observe } = detect(await settings({ maxretry: 3, findtime: '1m', ipv6prefix: 64 }));
    expect(observe('2001:db8::1', T0)).toBeUndefined();
    expect(observe('2001:db8::2', T0 + 1)).toBeUndefined();
    expect(d.size).toBe(1);
    expect(observe('2001:db8::3', T0 + 2)).toEqual({ target: '2001:db8::/64', failures: 3, reason: 'failures' });
    expect(d.size).toBe(0);
  });

  it('a subnet verdict wins over the host verdict of the same failure', async () => {
    const { d, observe } = detect(await settings({ maxretry: 2, findtime: '1m', subnet: { ipv4: 24, maxretry: 3 } }));
    expect(observe('198.51.100.1', T0)).toBeUndefined();
    expect(observe('198.51.100.2', T0 + 1)).toBeUndefined();
    // The third failure of the /24 is also 198.51.100.1's second: both rules decide, the broader one wins.
    expect(observe('198.51.100.1', T0 + 2)).toEqual({ target: '198.51.100.0/24', failures: 3, reason: 'subnet' });
    expect(d.size).toBe(1); // 198.51.100.2's own failure is still counted
  });

  it('turns subnet aggregation and campaigns on and off with configure', async () => {
    const plain = await settings({ maxretry: 5, findtime: '1m' });
    const { d, observe, campaigns } = detect(plain);
    d.configure(await settings({ maxretry: 5, findtime: '1m', subnet: { ipv4: 24, maxretry: 2 } }));
    expect(observe('203.0.113.1', T0)).toBeUndefined();
    expect(observe('203.0.113.2', T0 + 1)).toMatchObject({ target: '203.0.113.0/24', reason: 'subnet' });
    d.configure(plain);
    expect(observe('203.0.113.3', T0 + 2)).toBeUndefined();
    expect(observe('203.0.113.4', T0 + 3)).toBeUndefined();
    d.configure(await settings({ maxretry: 5, findtime: '1m', campaign: { failures: 3, sources: 3, findtime: '1m', duration: '10m', maxretry: 1 } }));
    for (let i = 0; i < 3; i++) observe(`192.0.2.${10 + i}`, T0 + 10 + i, 'root');
    expect(campaigns).toHaveLength(1);
    expect(d.campaignsStarted).toBe(1);
    d.configure(plain);
    expect(d.campaignsStarted).toBe(0);
    expect(d.activeCampaigns(T0 + 20)).toEqual([]);
  });

  it('starts a campaign against a target, then bans each source at its first failure; a host that logged in is exempt', async () => {
    const { d, observe, campaigns } = detect(await settings({ maxretry: 10, findtime: '10m', campaign: { failures: 4, sources: 3, findtime: '10m', duration: '1h', maxretry: 1 } }));
    d.success(parseAddress('192.0.2.99')!, T0);
    for (const [i, host] of ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.1'].entries()) expect(observe(host, T0 + i, 'admin')).toBeUndefined();
    expect(campaigns).toEqual([{ jail: 'demo', target: 'admin', failures: 4, sources: 3, time: T0 + 3, until: T0 + 3 + 3_600_000 }]);
    expect(d.activeCampaigns(T0 + 10)).toEqual(campaigns);
    // A campaign ban lasts the campaign's duration (1h).
    expect(observe('192.0.2.50', T0 + 10, 'admin')).toEqual({ target: '192.0.2.50', failures: 1, reason: 'campaign', bantime: 3_600_000 });
    expect(observe('192.0.2.99', T0 + 11, 'admin')).toBeUndefined();
    // Another target is not under attack.
    expect(observe('192.0.2.51', T0 + 12, 'bob')).toBeUndefined();
    expect(d.activeCampaigns(T0 + 3 + 3_600_000)).toEqual([]);
  });

  it('saves active campaigns and logins, and loads them back without the ended ones', async () => {
    const s = await settings({ campaign: { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 } });
    const store = new MemoryBanStore();
    const first = detect(s);
    first.d.success(parseAddress('192.0.2.80')!, T0);
    first.observe('192.0.2.1', T0, 'root');
    first.observe('192.0.2.2', T0 + 1, 'root');
    first.d.save(store, T0 + 2);
    expect(JSON.parse(store.readState('campaigns:demo')!)).toEqual([{ jail: 'demo', target: 'root', failures: 2, sources: 2, time: T0 + 1, until: T0 + 1 + 3_600_000 }]);
    expect(JSON.parse(store.readState('logins:demo')!)).toEqual([['192.0.2.80', T0]]);
    // Nothing changed since: nothing written again.
    store.writeState('campaigns:demo', 'untouched');
    first.d.save(store, T0 + 3);
    expect(store.readState('campaigns:demo')).toBe('untouched');

    store.writeState('campaigns:demo', JSON.stringify([
      { jail: 'demo', target: 'root', failures: 2, sources: 2, time: T0 + 1, until: T0 + 3_600_000 },
      { jail: 'demo', target: 'ended', failures: 2, sources: 2, time: T0 - 7_200_000, until: T0 - 1 },
      { target: 42, until: T0 + 3_600_000, time: T0 },
    ]));
    const logger = recordingLogger();
    const second = detect(s, logger);
    second.d.load(store, T0 + 10);
    expect(second.d.activeCampaigns(T0 + 10)).toEqual([{ jail: 'demo', target: 'root', failures: 2, sources: 2, time: T0 + 1, until: T0 + 3_600_000 }]);
    expect(told(logger)).toContain('info resumed 1 active campaign(s)');
    // The restored login still exempts its host from the campaign; another source is banned at once.
    expect(second.observe('192.0.2.80', T0 + 20, 'root')).toBeUndefined();
    expect(second.observe('192.0.2.81', T0 + 21, 'root')).toMatchObject({ target: '192.0.2.81', reason: 'campaign' });
  });

  it('warns about unreadable saved state and starts without it', async () => {
    const store = new MemoryBanStore();
    store.writeState('campaigns:demo', '{not json');
    store.writeState('logins:demo', '[[');
    const logger = recordingLogger();
    const { d } = detect(await settings({ campaign: {} }), logger);
    d.load(store, T0);
    expect(d.activeCampaigns(T0)).toEqual([]);
    expect(told(logger).filter((l) => l.startsWith('warn ignoring unreadable'))).toEqual(['warn ignoring unreadable logins state in the store', 'warn ignoring unreadable campaigns state in the store']);
  });

  it('keeps what changed for saving, and restores a host so one more failure bans', async () => {
    const { d, observe } = detect(await settings({ maxretry: 3, findtime: '10m' }));
    d.trackChanges();
    observe('192.0.2.7', T0);
    expect(d.takeChanges()).toEqual([{ host: '192.0.2.7', times: [T0] }]);
    expect(d.takeChanges()).toEqual([]);
    expect(d.snapshot()).toEqual([{ host: '192.0.2.7', times: [T0] }]);
    d.restore('192.0.2.8', [T0, T0 + 1], T0 + 2);
    expect(observe('192.0.2.8', T0 + 3)).toEqual({ target: '192.0.2.8', failures: 3, reason: 'failures' });
    d.forget('192.0.2.7');
    expect(d.size).toBe(0);
    observe('192.0.2.9', T0);
    d.expire(T0 + 600_000);
    expect(d.size).toBe(0);
  });
});

describe('Detection: verdict order and saved state, at the edges', () => {
  it('a host verdict stands when the subnet has not decided, and beats a campaign verdict', async () => {
    const { observe } = detect(await settings({ maxretry: 2, findtime: '1m', subnet: { ipv4: 24, maxretry: 10 } }));
    observe('198.51.100.1', T0);
    expect(observe('198.51.100.1', T0 + 1)).toEqual({ target: '198.51.100.1', failures: 2, reason: 'failures' });
    const c = detect(await settings({ maxretry: 2, findtime: '1m', campaign: { failures: 2, sources: 2, findtime: '1m', duration: '1h', maxretry: 1 } }));
    c.observe('192.0.2.1', T0, 'root');
    c.observe('192.0.2.2', T0 + 1, 'root');
    expect(c.campaigns).toHaveLength(1);
    // Its second failure: maxretry and the campaign both ban 192.0.2.2; the host's own rule is named.
    expect(c.observe('192.0.2.2', T0 + 2, 'root')).toEqual({ target: '192.0.2.2', failures: 2, reason: 'failures' });
  });

  it('keeps a running campaign when reconfigured with one', async () => {
    const campaign = { failures: 2, sources: 2, findtime: '1m', duration: '1h', maxretry: 1 };
    const { d, observe } = detect(await settings({ campaign }));
    observe('192.0.2.1', T0, 'root');
    observe('192.0.2.2', T0 + 1, 'root');
    d.configure(await settings({ campaign: { ...campaign, maxretry: 2 } }));
    expect(d.campaignsStarted).toBe(1);
    expect(d.activeCampaigns(T0 + 2).map((e) => e.target)).toEqual(['root']);
  });

  it('writes nothing when nothing changed, and nothing to a store that keeps no state', async () => {
    const s = await settings({ campaign: {} });
    const store = new MemoryBanStore();
    const { d } = detect(s);
    d.save(store, T0);
    expect(store.readState('campaigns:demo')).toBeUndefined();
    expect(store.readState('logins:demo')).toBeUndefined();
    d.success(parseAddress('192.0.2.5')!, T0);
    d.save(store, T0);
    store.writeState('logins:demo', 'untouched');
    d.save(store, T0 + 1);
    expect(store.readState('logins:demo')).toBe('untouched');
    const logger = recordingLogger();
    const bare = { ...new MemoryBanStore(), writeState: undefined, readState: undefined } as unknown as MemoryBanStore;
    const other = detect(s, logger);
    other.d.success(parseAddress('192.0.2.6')!, T0);
    other.d.save(bare, T0);
    other.d.load(bare, T0);
    expect(told(logger)).toEqual([]);
  });

  it('says when the store refuses the state, and carries on', async () => {
    const store = new MemoryBanStore();
    store.writeState = () => {
      throw new Error('disk full');
    };
    const logger = recordingLogger();
    const { d } = detect(await settings({}), logger);
    d.success(parseAddress('192.0.2.5')!, T0);
    d.save(store, T0);
    expect(told(logger)).toEqual(['error could not save campaigns and logins in the store']);
  });

  it('loads nothing from an empty store quietly; loaded logins are not written back unchanged', async () => {
    const s = await settings({ campaign: {} });
    const logger = recordingLogger();
    const { d } = detect(s, logger);
    d.load(new MemoryBanStore(), T0);
    expect(told(logger)).toEqual([]);
    const store = new MemoryBanStore();
    store.writeState('logins:demo', JSON.stringify([['192.0.2.9', T0]]));
    const again = detect(s, logger);
    again.d.load(store, T0);
    store.writeState('logins:demo', 'untouched');
    again.d.save(store, T0 + 1);
    expect(store.readState('logins:demo')).toBe('untouched');
  });

  it('resumes only well-formed campaigns that have not ended', async () => {
    const s = await settings({ campaign: {} });
    const store = new MemoryBanStore();
    const ok = { jail: 'demo', target: 'root', failures: 5, sources: 3, time: T0 - 10, until: T0 + 1000 };
    store.writeState('campaigns:demo', JSON.stringify([
      null,
      ok,
      { ...ok, target: 'ends-now', until: T0 },
      { ...ok, target: 'no-until', until: undefined },
      { ...ok, target: 'no-time', time: 'yesterday' },
      { ...ok, target: 7 },
      { ...ok, target: 'counts-unreadable', failures: 'many', sources: null },
    ]));
    const logger = recordingLogger();
    const { d } = detect(s, logger);
    d.load(store, T0);
    expect(d.activeCampaigns(T0)).toEqual([ok, { ...ok, target: 'counts-unreadable', failures: 0, sources: 0 }]);
    expect(told(logger)).toEqual(['info resumed 2 active campaign(s)']);
  });

  it('gives its share of the global cap back when closed or reconfigured', async () => {
    const budget = new TrackingBudget(1000, silentLogger);
    const s = await settings({ maxretry: 5, subnet: { ipv4: 24, maxretry: 10 } });
    const { d, observe } = detect(s, silentLogger, budget);
    observe('192.0.2.1', T0);
    expect(budget.used).toBe(2); // the host and its /24
    d.configure(s);
    expect(budget.used).toBe(1); // a new subnet detector: the old one is gone from the budget
    d.close();
    expect(budget.used).toBe(0);
  });
});

describe('MaxretryDetector under the global cap', () => {
  it('charges new keys to the budget and evicts the oldest over maxtracked; close gives its share back', () => {
    const budget = new TrackingBudget(3, silentLogger);
    const a = new MaxretryDetector({ findtime: 600_000, maxretry: 5 }, budget);
    const observe = (host: string, time: number) => a.observe({ ip: parseAddress(host)!, key: host, user: undefined, time });
    for (let i = 1; i <= 5; i++) observe(`192.0.2.${i}`, T0 + i);
    expect(a.size).toBe(3);
    expect(budget.used).toBe(3);
    expect(budget.evicted).toBe(2);
    // A known key adds no entry: nothing is evicted.
    observe('192.0.2.5', T0 + 10);
    expect(budget.evicted).toBe(2);
    a.close();
    expect(budget.used).toBe(0);
    expect(a.size).toBe(0);
  });
});

describe('Detection: campaign subnets, exempt networks and what the log says', () => {
  /** Records each log call with its fields, as a JSON log line would carry them. */
  function fieldsLogger() {
    const calls: { level: string; fields: Record<string, unknown>; msg: string | undefined }[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, msg?: string) => void calls.push({ level, fields, msg });
    const logger = { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
    return logger as unknown as Logger & { calls: typeof calls };
  }
  const campaign = { failures: 2, sources: 2, findtime: '10m', duration: '1h', maxretry: 1 };
  /** Starts a campaign against root from two hosts far from those the test then fails with. */
  function underCampaign(d: ReturnType<typeof detect>) {
    d.observe('192.0.2.1', T0, 'root');
    d.observe('192.0.2.2', T0 + 1, 'root');
    expect(d.campaigns).toHaveLength(1);
  }

  it('during a campaign, failures add up per /24 and per ipv6prefix when no subnet is set', async () => {
    const c = detect(await settings({ maxretry: 10, ipv6prefix: 64, campaign }));
    underCampaign(c);
    expect(c.observe('203.0.113.1', T0 + 10, 'root')).toEqual({ target: '203.0.113.1', failures: 1, reason: 'campaign', bantime: 3_600_000 });
    expect(c.observe('203.0.113.2', T0 + 11, 'root')).toEqual({ target: '203.0.113.0/24', failures: 2, reason: 'campaign', bantime: 3_600_000 });
    // IPv6 adds up no wider than ipv6prefix: two /64s of one /48 are two customers, banned one by one.
    expect(c.observe('2001:db8:0:1::1', T0 + 12, 'root')).toEqual({ target: '2001:db8:0:1::/64', failures: 1, reason: 'campaign', bantime: 3_600_000 });
    expect(c.observe('2001:db8:0:2::1', T0 + 13, 'root')).toEqual({ target: '2001:db8:0:2::/64', failures: 1, reason: 'campaign', bantime: 3_600_000 });
  });

  it("during a campaign, failures add up in the jail's subnet lengths when set", async () => {
    const c = detect(await settings({ maxretry: 10, ipv6prefix: 64, subnet: { ipv4: 16, ipv6: 48, maxretry: 10 }, campaign }));
    underCampaign(c);
    c.observe('203.0.113.1', T0 + 10, 'root');
    expect(c.observe('203.0.114.1', T0 + 11, 'root')).toMatchObject({ target: '203.0.0.0/16', failures: 2, reason: 'campaign' });
    c.observe('2001:db8:0:1::1', T0 + 12, 'root');
    expect(c.observe('2001:db8:0:2::1', T0 + 13, 'root')).toMatchObject({ target: '2001:db8::/48', failures: 2, reason: 'campaign' });
  });

  it('never bans a subnet where a host logged in: its failing hosts are banned one by one', async () => {
    const c = detect(await settings({ maxretry: 10, campaign }));
    c.d.success(parseAddress('203.0.113.50')!, T0);
    underCampaign(c);
    expect(c.observe('203.0.113.1', T0 + 10, 'root')).toMatchObject({ target: '203.0.113.1', reason: 'campaign' });
    expect(c.observe('203.0.113.2', T0 + 11, 'root')).toMatchObject({ target: '203.0.113.2', reason: 'campaign' });
  });

  it('says nothing about resuming when every saved campaign has ended', async () => {
    const store = new MemoryBanStore();
    store.writeState('campaigns:demo', JSON.stringify([{ jail: 'demo', target: 'root', failures: 5, sources: 3, time: T0 - 7_200_000, until: T0 - 1 }]));
    const logger = fieldsLogger();
    const { d } = detect(await settings({ campaign: {} }), logger);
    d.load(store, T0);
    expect(d.activeCampaigns(T0)).toEqual([]);
    expect(logger.calls).toEqual([]);
  });

  it('logs the count of resumed campaigns and the error of a failed save or an unreadable state as fields', async () => {
    const s = await settings({ campaign: {} });
    const store = new MemoryBanStore();
    store.writeState('campaigns:demo', JSON.stringify([{ jail: 'demo', target: 'root', failures: 5, sources: 3, time: T0, until: T0 + 1000 }]));
    store.writeState('logins:demo', '[[');
    const logger = fieldsLogger();
    const { d } = detect(s, logger);
    d.load(store, T0);
    expect(logger.calls).toEqual([
      { level: 'warn', fields: { err: expect.any(SyntaxError) }, msg: 'ignoring unreadable logins state in the store' },
      { level: 'info', fields: { campaigns: 1 }, msg: 'resumed 1 active campaign(s)' },
    ]);
    const full = new Error('disk full');
    store.writeState = () => {
      throw full;
    };
    d.success(parseAddress('192.0.2.5')!, T0);
    d.save(store, T0);
    expect(logger.calls[2]).toEqual({ level: 'error', fields: { err: full }, msg: 'could not save campaigns and logins in the store' });
  });
});

describe('MaxretryDetector when maxtracked is lowered', () => {
  it('a failure of a host already tracked adds no entry and evicts nothing; the next new host trims the excess at once', () => {
    const budget = new TrackingBudget(3, silentLogger);
    const a = new MaxretryDetector({ findtime: 600_000, maxretry: 5 }, budget);
    const observe = (host: string, time: number) => a.observe({ ip: parseAddress(host)!, key: host, user: undefined, time });
    for (let i = 1; i <= 3; i++) observe(`192.0.2.${i}`, T0 + i);
    budget.cap = 1; // a reload lowered maxtracked
    observe('192.0.2.1', T0 + 10);
    expect(budget.evicted).toBe(0);
    expect(a.size).toBe(3);
    observe('192.0.2.9', T0 + 11);
    expect(budget.evicted).toBe(3);
    expect(a.size).toBe(1);
    expect(a.tracker.snapshot().map((h) => h.host)).toEqual(['192.0.2.9']);
  });
});
