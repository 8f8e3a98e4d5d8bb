import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { dryRunAction } from '../src/actions/dry-run-action.js';
import { LineParser } from '../src/parsing/line-parser.js';
import { MemoryBanStore } from '../src/store/memory-store.js';
import { silentLogger } from '../src/util/logger.js';
import { T0, makeJail } from './demo-jail.js';

// A jail driven in-process on a clock the test sets: bans restored at start, repeat offenders across
// jails, and what the dry-run action records.

function stored(ip: string, jail: string, time: number, bantime: number): BanTicket {
  return { ip, family: ip.includes(':') ? 6 : 4, prefix: undefined, jail, time, bantime, expires: time + bantime, failures: 3, banCount: 1, matches: [], users: [], reason: 'failures' };
}

describe('Jail', () => {
  it('restores at start only the stored bans still in force; expired ones leave the store', async () => {
    const store = new MemoryBanStore();
    store.addBan(stored('192.0.2.1', 'demo', T0 - 600_000, 600_000)); // expired exactly now
    store.addBan(stored('192.0.2.2', 'demo', T0 - 630_000, 600_000)); // expired 30 s ago
    store.addBan(stored('192.0.2.3', 'demo', T0 - 660_000, 600_000 + 59_000)); // expired 1 s ago
    store.addBan(stored('192.0.2.4', 'demo', T0 - 60_000, 600_000)); // 9 minutes left
    store.addBan(stored('192.0.2.5', 'other', T0, 600_000)); // another jail's
    const { jail, events } = await makeJail({}, { store });
    await jail.start();
    await jail.idle();
    expect(jail.currentBans().map((b) => b.ip)).toEqual(['192.0.2.4']);
    expect(jail.currentlyBanned).toBe(1);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['192.0.2.4']);
    expect(store.currentBans('other').map((b) => b.ip)).toEqual(['192.0.2.5']);
    expect(events()).toEqual([expect.objectContaining({ event: 'ban', ip: '192.0.2.4', reason: 'restore' })]);
    await jail.stop();
  });

  it('increment counts earlier bans in this jail only, or in every jail with overalljails', async () => {
    const history = () => {
      const store = new MemoryBanStore();
      store.addBan(stored('192.0.2.9', 'web', T0 - 3_600_000, 60_000));
      store.removeBan('web', '192.0.2.9');
      return store;
    };
    for (const [overalljails, banCount, bantime] of [[false, 1, 600], [true, 2, 1200]] as const) {
      const { jail, fail, events } = await makeJail({ maxretry: 2, bantime: '10m', increment: { factor: 2, maxtime: '1d', overalljails } }, { store: history() });
      await jail.start();
      fail('192.0.2.9');
      fail('192.0.2.9');
      await jail.idle();
      expect(jail.currentBans().map((b) => [b.ip, b.banCount, b.bantime])).toEqual([['192.0.2.9', banCount, bantime * 1000]]);
      expect(events()).toMatchObject([{ event: 'ban', ip: '192.0.2.9', bantime }]);
      await jail.stop();
    }
  });

  it('caps an incremented ban time at maxtime', async () => {
    const store = new MemoryBanStore();
    for (let i = 1; i <= 4; i++) store.addBan(stored('192.0.2.10', 'demo', T0 - i * 3_600_000, 60_000));
    store.removeBan('demo', '192.0.2.10');
    const { jail, fail } = await makeJail({ maxretry: 1, bantime: '10m', increment: { factor: 3, maxtime: '1h' } }, { store });
    await jail.start();
    fail('192.0.2.10');
    expect(jail.currentBans().map((b) => [b.banCount, b.bantime])).toEqual([[5, 3_600_000]]);
    await jail.stop();
  });
});

describe('Jail: a batch of lines', () => {
  /** A store that takes a batch's bans in one call, and says which calls it got. */
  class BatchStore extends MemoryBanStore {
    readonly batches: string[][] = [];
    addBans(bans: readonly BanTicket[]): void {
      this.batches.push(bans.map((b) => b.ip));
      for (const b of bans) this.addBan(b);
    }
  }

  it('writes its bans to the store in one call, before any action applies them', async () => {
    const store = new BatchStore();
    const { jail, events } = await makeJail({ maxretry: 2, bantime: '10m' }, { store });
    await jail.start();
    const parser = new LineParser({ now: () => T0 });
    const line = (ip: string) => parser.parse(`${new Date(T0).toISOString()} host demo[1]: auth failure from ${ip}`);
    const ips = ['192.0.2.1', '2001:db8::1', '192.0.2.3'];
    jail.processBatch([...ips.map(line), line('192.0.2.9'), ...ips.map(line)], 0);
    // IPv6 hosts are banned as their /64 (ipv6prefix).
    const banned = ['192.0.2.1', '2001:db8::/64', '192.0.2.3'];
    expect(store.batches).toEqual([banned]);
    expect(store.currentBans('demo').map((b) => b.ip).sort()).toEqual([...banned].sort());
    expect(events()).toEqual([]);
    await jail.idle();
    expect(events().map((e) => e.ip)).toEqual(banned);
    // Outside a batch (a single line) a ban is written at once, as before.
    jail.process(line('192.0.2.9'), 0);
    expect(store.batches).toHaveLength(1);
    expect(store.currentBans('demo').map((b) => b.ip)).toContain('192.0.2.9');
    await jail.stop();
  });

  it('a network ban in the same batch lifts the address bans it covers, in the store too', async () => {
    const store = new BatchStore();
    const { jail } = await makeJail({ maxretry: 1, bantime: '10m', subnet: { ipv4: 24, maxretry: 3 } }, { store });
    await jail.start();
    const parser = new LineParser({ now: () => T0 });
    const line = (ip: string) => parser.parse(`${new Date(T0).toISOString()} host demo[1]: auth failure from ${ip}`);
    jail.processBatch(['198.51.100.1', '198.51.100.2', '198.51.100.3'].map(line), 0);
    // The batch's bans are written when the network ban lifts the two addresses, so the removal wins.
    expect(store.batches).toEqual([['198.51.100.1', '198.51.100.2', '198.51.100.0/24']]);
    expect(store.currentBans('demo').map((b) => b.ip)).toEqual(['198.51.100.0/24']);
    expect(jail.currentBans().map((b) => b.ip)).toEqual(['198.51.100.0/24']);
    await jail.stop();
  });
});

describe('dry-run action: the events it writes', () => {
  it('writes every field of ban, network ban, manual ban, permanent ban and unban events', async () => {
    let now = T0;
    const { jail, fail, events } = await makeJail({ maxretry: 2, findtime: '10m', bantime: '10m', ipv6prefix: 64 }, { now: () => now });
    await jail.start();
    fail('192.0.2.20');
    now += 1000;
    fail('192.0.2.20');
    fail('2001:db8:1:2::5');
    fail('2001:db8:1:2::6');
    jail.banManually({ family: 4, bytes: new Uint8Array([198, 51, 100, 0]), prefix: 24, canonical: '198.51.100.0/24' });
    now += 5000;
    expect(jail.unban('192.0.2.20')).toBe(true);
    await jail.idle();
    const unbanTime = events().find((e) => e.event === 'unban')?.time as string;
    expect(events()).toEqual([
      { event: 'ban', jail: 'demo', ip: '192.0.2.20', time: new Date(T0 + 1000).toISOString(), bantime: 600, failures: 2 },
      { event: 'ban', jail: 'demo', ip: '2001:db8:1:2::/64', time: new Date(T0 + 1000).toISOString(), bantime: 600, failures: 2, prefixlen: 64 },
      { event: 'ban', jail: 'demo', ip: '198.51.100.0/24', time: new Date(T0 + 1000).toISOString(), bantime: 600, failures: 0, prefixlen: 24, reason: 'manual' },
      { event: 'unban', jail: 'demo', ip: '192.0.2.20', time: unbanTime, bantime: 600, failures: 2 },
    ]);
    // An unban is stamped when it happens (the wall clock), in the same ISO form.
    expect(unbanTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(unbanTime) - Date.now())).toBeLessThan(600_000);
    await jail.stop();
  });

  it('writes a permanent ban with bantime -1', async () => {
    const { jail, fail, events } = await makeJail({ maxretry: 1, bantime: -1 });
    await jail.start();
    fail('192.0.2.30');
    await jail.idle();
    expect(events()).toEqual([{ event: 'ban', jail: 'demo', ip: '192.0.2.30', time: new Date(T0).toISOString(), bantime: -1, failures: 1 }]);
    expect(jail.currentBans()[0]!.expires).toBe(Number.POSITIVE_INFINITY);
    await jail.stop();
  });

  it('writes a campaign event with its target, counts and both times', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dry-'));
    const action = dryRunAction.create({ file: 'events.jsonl', fsync: true, restoreEvents: false }, { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: dir, dryRun: true });
    await action.campaign!({ jail: 'sshd', target: 'root', failures: 50, sources: 12, time: T0, until: T0 + 3_600_000 });
    await action.stop!();
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8')).toBe(
      `${JSON.stringify({ event: 'campaign', jail: 'sshd', target: 'root', failures: 50, sources: 12, time: new Date(T0).toISOString(), until: new Date(T0 + 3_600_000).toISOString() })}\n`,
    );
  });
});
