import type { FleetBan, FleetContext, FleetInstance } from '@portcullis/core';
import { silentLogger } from '@portcullis/core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisServer, redisUnavailable, startRedisServer } from '../../../test/redis-server.js';
import { createRedisFleet, FleetKeys } from '../src/index.js';
import { redisFleetOptions } from '../src/options.js';

const why = redisUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping Redis fleet tests: ${why}`);

/** A node as core would drive it: what arrived from the fleet, and the bans it holds itself. */
function node(name: string, socket: string, fleet = 'test') {
  const applied: unknown[] = [];
  const lifted: [unknown, unknown][] = [];
  const own: FleetBan[] = [];
  const states: boolean[] = [];
  const ctx: FleetContext = {
    fleet,
    node: name,
    share: ['failures', 'bans'],
    logger: silentLogger,
    configDir: '/',
    applyBan: (ban) => {
      applied.push(ban);
      return true;
    },
    liftBan: (jail, target) => lifted.push([jail, target]),
    localBans: () => own,
    connectionChanged: (c) => states.push(c),
  };
  const instance: FleetInstance = createRedisFleet(redisFleetOptions.parse({ url: socket, heartbeat: 1 }), ctx);
  return { name, instance, applied, lifted, own, states, connected: () => states.at(-1) === true };
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const ban = (target: string, nodeName: string, bantime = 600_000): FleetBan => ({ jail: 'sshd', target, time: Date.now(), bantime, failures: 5, banCount: 1, node: nodeName });

describe('options', () => {
  it('takes a URL, a unix socket path, or an object; refuses anything else', () => {
    expect(redisFleetOptions.parse('redis://u:p@10.0.0.5:6379/0')).toEqual({ url: 'redis://u:p@10.0.0.5:6379/0' });
    expect(redisFleetOptions.parse('/run/redis/redis.sock')).toEqual({ url: '/run/redis/redis.sock' });
    expect(redisFleetOptions.safeParse('http://x').success).toBe(false);
    expect(redisFleetOptions.safeParse('relative.sock').success).toBe(false);
    expect(redisFleetOptions.safeParse({ url: 'rediss://h:6380', tls: { ca: 'ca.pem' }, heartbeat: 2 }).success).toBe(true);
    expect(redisFleetOptions.safeParse({ url: 'redis://h', bogus: 1 }).success).toBe(false);
  });
});

describe.skipIf(why !== undefined && process.env.CI !== 'true')('Redis fleet backend against a real redis-server', () => {
  let redis: RedisServer;
  const nodes: ReturnType<typeof node>[] = [];

  beforeAll(async () => {
    if (why) throw new Error(why);
    redis = await startRedisServer();
    for (const n of ['a', 'b', 'c']) nodes.push(node(n, redis.socket));
    for (const n of nodes) await n.instance.start();
    await until(() => nodes.every((n) => n.connected()), 'three nodes connected');
  });

  afterAll(async () => {
    for (const n of nodes) await n.instance.stop();
    await redis?.destroy();
  });

  const a = () => nodes[0]!;
  const b = () => nodes[1]!;
  const c = () => nodes[2]!;

  it('counts failures fleet-wide and lets exactly one node decide the ban', async () => {
    const f = { jail: 'sshd', key: '198.51.100.7', findtime: 600_000, maxretry: 5 };
    const now = Date.now();
    const counts = [
      ...(await a().instance.addFailures([{ ...f, time: now }, { ...f, time: now + 1 }]))!,
      ...(await b().instance.addFailures([{ ...f, time: now + 2 }, { ...f, time: now + 3 }]))!,
    ];
    expect(counts.map((x) => x.count)).toEqual([1, 2, 3, 4]);
    const [last] = (await c().instance.addFailures([{ ...f, time: now + 4 }]))!;
    expect(last).toEqual({ count: 5, decides: true });
    // Concurrent crossings: ten nodes' worth of failures at once, exactly one decision.
    const g = { ...f, key: '198.51.100.8', maxretry: 3 };
    const answers = await Promise.all(nodes.flatMap((n) => [n.instance.addFailures([{ ...g, time: now }]), n.instance.addFailures([{ ...g, time: now }])]));
    expect(answers.flatMap((x) => x!).filter((x) => x.decides)).toHaveLength(1);
  });

  it('a failure counts exactly while now - t < findtime', async () => {
    const f = { jail: 'sshd', key: '198.51.100.9', findtime: 1000, maxretry: 10 };
    await a().instance.addFailures([{ ...f, time: 10_000 }]);
    expect((await a().instance.addFailures([{ ...f, time: 10_999 }]))![0]!.count).toBe(2);
    expect((await a().instance.addFailures([{ ...f, time: 11_000 }]))![0]!.count).toBe(2);
  });

  it('a ban recorded by one node reaches the others once; unban on any node lifts it everywhere', async () => {
    const first = ban('203.0.113.10', 'a');
    await a().instance.publishBans([first, first]);
    await until(() => b().applied.length === 1 && c().applied.length === 1, 'the ban on b and c');
    expect(b().applied[0]).toMatchObject({ type: 'ban', jail: 'sshd', target: '203.0.113.10', node: 'a' });
    expect(a().applied).toHaveLength(0);
    // Another node recording the same ban changes nothing (the store keeps the first).
    await b().instance.publishBans([ban('203.0.113.10', 'b')]);
    expect(await b().instance.banCount('sshd', '203.0.113.10')).toBe(1);
    await b().instance.publishUnbans([{ jail: 'sshd', target: '203.0.113.10' }]);
    await until(() => a().lifted.length === 1 && c().lifted.length === 1, 'the unban on a and c');
    expect(redis.cli(['--raw', 'EXISTS', new FleetKeys('test').ban('sshd', '203.0.113.10')]).trim()).toBe('0');
  });

  it('every key has a TTL or goes with its ban', async () => {
    await a().instance.publishBans([ban('203.0.113.11', 'a', 60_000)]);
    await a().instance.addFailures([{ jail: 'sshd', key: '203.0.113.12', time: Date.now(), findtime: 60_000, maxretry: 5 }]);
    const all = redis.cli(['--raw', 'KEYS', 'portcullis:test:*']).trim().split('\n');
    for (const key of all) {
      const ttl = Number(redis.cli(['--raw', 'PTTL', key]).trim());
      const indexOrNodes = key.endsWith(':bans') || key.endsWith(':nodes');
      // -2: the key expired between KEYS and PTTL.
      expect(indexOrNodes || ttl > 0 || ttl === -2, `${key} has TTL ${ttl}`).toBe(true);
    }
  });

  it('status lists the nodes with their heartbeats and the fleet\'s bans', async () => {
    await until(async () => (await a().instance.status()).nodes.length === 3, 'three nodes in status');
    const status = await a().instance.status();
    expect(status).toMatchObject({ backend: 'redis', name: 'test', node: 'a', connected: true });
    expect(status.nodes.map((n) => n.name).sort()).toEqual(['a', 'b', 'c']);
    expect(status.nodes.every((n) => n.connected)).toBe(true);
    expect(status.bans).toBeGreaterThanOrEqual(1);
  });

  it('survives Redis going away: calls resolve empty at once, and a restarted empty Redis gets the nodes\' bans back', async () => {
    a().own.push(ban('203.0.113.20', 'a'));
    await redis.stop();
    await until(() => !a().connected() && !b().connected(), 'nodes to notice Redis is gone');
    const started = Date.now();
    expect(await a().instance.addFailures([{ jail: 'sshd', key: '203.0.113.21', time: Date.now(), findtime: 600_000, maxretry: 5 }])).toBeUndefined();
    await a().instance.publishBans([ban('203.0.113.22', 'a')]);
    // Without a fast path these calls wait for the reconnect (minutes); a loaded machine gets slack.
    expect(Date.now() - started).toBeLessThan(10_000);
    const before = b().applied.length;
    await redis.restart();
    await until(() => nodes.every((n) => n.connected()), 'reconnect');
    // a re-published its current bans into the empty store; b and c apply them.
    await until(() => b().applied.slice(before).some((x) => (x as { target?: string }).target === '203.0.113.20'), 'b to get a\'s ban after the restart');
    expect(redis.cli(['--raw', 'ZRANGE', 'portcullis:test:bans', '0', '-1'])).toContain('sshd|203.0.113.20');
  });

  it('works with exactly the ACL docs/fleet.md gives, and that user reaches nothing else', async () => {
    const docs = readFileSync(join(import.meta.dirname, '../../../docs/fleet.md'), 'utf8');
    const block = /```\n(ACL SETUSER [\s\S]*?)\n```/.exec(docs)?.[1];
    expect(block, 'the ACL block in docs/fleet.md').toBeDefined();
    const args = block!.replace(/\\\n/g, ' ').replace(/ >secret /, ' >acl-test-password ').split(/\s+/).filter(Boolean);
    expect(redis.cli(args).trim()).toBe('OK');
    redis.cli(['SET', 'other:secret', 'x']);
    const dir = mkdtempSync(join(tmpdir(), 'fleet-acl-'));
    writeFileSync(join(dir, 'password'), 'acl-test-password\n', { mode: 0o600 });
    const states: boolean[] = [];
    const applied: unknown[] = [];
    const limited = createRedisFleet(redisFleetOptions.parse({ url: redis.socket, username: 'portcullis', passwordFile: 'password', heartbeat: 1 }), {
      fleet: 'web',
      node: 'acl',
      share: ['failures', 'bans'],
      logger: silentLogger,
      configDir: dir,
      applyBan: (b) => (applied.push(b), true),
      liftBan: () => {},
      localBans: () => [ban('203.0.113.60', 'acl')],
      connectionChanged: (c) => states.push(c),
    });
    const peer = node('peer', redis.socket, 'web');
    try {
      await limited.start();
      await peer.instance.start();
      await until(() => states.at(-1) === true && peer.connected(), 'the ACL user and its peer to connect');
      const f = { jail: 'sshd', key: '203.0.113.61', findtime: 60_000, maxretry: 2 };
      expect(await limited.addFailures([{ ...f, time: Date.now() }, { ...f, time: Date.now() }])).toEqual([{ count: 1, decides: false }, { count: 2, decides: true }]);
      await limited.publishBans([ban('203.0.113.62', 'acl')]);
      await limited.publishUnbans([{ jail: 'sshd', target: '203.0.113.62' }]);
      expect(await limited.banCount('sshd', '203.0.113.62')).toBe(1);
      // Events from another node reach the limited user's subscription.
      await peer.instance.publishBans([ban('203.0.113.63', 'peer')]);
      await until(() => applied.some((b) => (b as { target?: string }).target === '203.0.113.63'), 'the peer\'s ban through the subscription');
      await until(async () => (await limited.status()).nodes.some((n) => n.name === 'acl'), 'the heartbeat');
      expect((await limited.status()).connected).toBe(true);
      expect(redis.cli(['--user', 'portcullis', '--pass', 'acl-test-password', '--no-auth-warning', 'GET', 'other:secret'])).toMatch(/NOPERM|no permissions/i);
    } finally {
      await limited.stop();
      await peer.instance.stop();
    }
  }, 60_000);

  it('values that are not JSON are refused and counted, never passed on', async () => {
    redis.cli(['PUBLISH', 'portcullis:test:events', 'not json {']);
    await until(async () => (await b().instance.status()).refused >= 1, 'b to count the refused event');
  });
});
