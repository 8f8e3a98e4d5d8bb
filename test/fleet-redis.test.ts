import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { type RedisServer, redisUnavailable, startRedisServer } from './redis-server.js';

/**
 * Fleet mode end to end: three daemons (own configs, stores, sockets, dry-run records) and a real redis-server
 * on a unix socket. Failures add up across nodes, a ban reaches every node, an unban on one lifts it
 * everywhere, each node's ignoreip wins locally, nodes keep banning alone while Redis is down and converge
 * when it is back, a restarted node gets the fleet's bans, and values written into Redis by hand are refused.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/fleet-redis']);
const why = redisUnavailable();
if (why && process.env.CI !== 'true') console.warn(`skipping fleet tests: ${why}`);

type Event = { event: string; ip: string; jail: string };
type Status = { banned: { ip: string; origin?: string }[] };
type Fleet = { connected: boolean; nodes: { name: string; connected: boolean }[]; bans: number; refused: number };

let pid = 100;
const failed = (ip: string) => `${new Date().toISOString()} host sshd[${++pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;

describe.skipIf(why !== undefined && process.env.CI !== 'true')('fleet mode on Redis: three daemons', () => {
  let redis: RedisServer;
  let root: string;
  const nodes: { name: string; dir: string; daemon: DaemonProcess }[] = [];

  const node = (name: string) => nodes.find((n) => n.name === name)!;
  const events = (name: string): Event[] => {
    const f = join(node(name).dir, 'bans.jsonl');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event) : [];
  };
  const banned = async (name: string): Promise<string[]> => (await node(name).daemon.json<Status>(['status', 'sshd'])).banned.map((b) => b.ip).sort();
  const fail = (name: string, ip: string, times: number) => appendFileSync(join(node(name).dir, 'auth.log'), Array.from({ length: times }, () => failed(ip)).join(''));
  const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 15_000) =>
    waitFor(cond, ms, () => `${what}\n${nodes.map((n) => `--- ${n.name} ---\n${n.daemon.output.slice(-3000)}`).join('\n')}`, 50);

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    redis = await startRedisServer();
    root = repoTempDir('fleet');
    for (const name of ['a', 'b', 'c']) {
      const dir = join(root, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'auth.log'), '');
      const config = {
        plugins: ['@portcullis/filter-sshd', '@portcullis/fleet-redis'],
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        // Node c ignores 198.51.100.77: it never enforces a fleet ban of it.
        defaults: { maxretry: 5, findtime: '10m', bantime: '1h', ignoreip: name === 'c' ? ['127.0.0.1/8', '198.51.100.77'] : ['127.0.0.1/8'] },
        fleet: { redis: { url: redis.socket, heartbeat: 1 }, name: 'web', node: name },
        jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      };
      writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
      nodes.push({ name, dir, daemon: new DaemonProcess(join(dir, 'portcullis.config.json')) });
    }
    for (const n of nodes) await n.daemon.start();
    await until(async () => {
      for (const n of nodes) if (!(await n.daemon.json<Fleet>(['status', '--fleet'])).connected) return false;
      return true;
    }, 'every node connected to Redis');
  });

  afterEach(async () => {
    // A test that stopped Redis or a node brings them back for the next one.
    if (redis && redis.pid === undefined) await redis.restart();
    for (const n of nodes) if (n.daemon.pid === undefined) await n.daemon.start();
  });

  afterAll(async () => {
    for (const n of nodes) await n.daemon.stop('SIGKILL');
    await redis?.destroy();
    if (root && process.env.KEEP_TMP !== '1') rmSync(root, { recursive: true, force: true });
  });

  it('2 failures on a, 2 on b, 1 on c reach maxretry 5: all three ban, once', async () => {
    const ip = '198.51.100.10';
    fail('a', ip, 2);
    fail('b', ip, 2);
    // Wait until the fleet has counted the first four before the fifth arrives (each node reads its own log).
    await until(() => redis.cli(['--raw', 'ZCARD', `portcullis:web:f:sshd|${ip}`]).trim() === '4', 'four fleet-wide failures');
    fail('c', ip, 1);
    for (const n of ['a', 'b', 'c']) await until(async () => (await banned(n)).includes(ip), `the ban on ${n}`);
    const bans = ['a', 'b', 'c'].flatMap((n) => events(n).filter((e) => e.event === 'ban' && e.ip === ip));
    expect(bans).toHaveLength(3);
    expect(Number(redis.cli(['--raw', 'GET', `portcullis:web:h:sshd|${ip}`]).trim())).toBe(1);
  });

  it('a node\'s own ignoreip wins: c never enforces a fleet ban of an address it ignores', async () => {
    const ip = '198.51.100.77';
    fail('a', ip, 5);
    await until(async () => (await banned('b')).includes(ip), 'the ban on b');
    await node('c').daemon.json(['ping']);
    expect(await banned('c')).not.toContain(ip);
    expect(node('c').daemon.output).toContain(`not enforcing the fleet's ban of ${ip}`);
  });

  it('unban on b lifts the ban on a and c', async () => {
    const ip = '198.51.100.10';
    expect((await node('b').daemon.client(['unban', ip])).code).toBe(0);
    for (const n of ['a', 'c']) await until(async () => !(await banned(n)).includes(ip), `the unban on ${n}`);
    expect(redis.cli(['--raw', 'EXISTS', `portcullis:web:b:sshd|${ip}`]).trim()).toBe('0');
  });

  it('Redis down: nodes keep banning alone, and converge with nothing lost once it is back empty', async () => {
    await redis.stop();
    await until(async () => !(await node('a').daemon.json<Fleet>(['status', '--fleet'])).connected, 'a to notice Redis is gone');
    const ip = '198.51.100.20';
    fail('a', ip, 5);
    await until(async () => (await banned('a')).includes(ip), 'a to ban alone');
    expect(await banned('b')).not.toContain(ip);
    await redis.restart();
    // a re-publishes what it banned while apart; b and c pick it up.
    for (const n of ['b', 'c']) await until(async () => (await banned(n)).includes(ip), `${n} to get the ban made while Redis was down`, 30_000);
    const onB = events('b').filter((e) => e.event === 'ban' && e.ip === ip);
    expect(onB).toHaveLength(1);
  });

  it('a restarted node applies the fleet\'s current bans', async () => {
    await node('c').daemon.stop('SIGKILL');
    rmSync(join(node('c').dir, 'state.db'), { force: true });
    rmSync(join(node('c').dir, 'state.db-wal'), { force: true });
    rmSync(join(node('c').dir, 'state.db-shm'), { force: true });
    const ip = '198.51.100.30';
    fail('b', ip, 5);
    await until(async () => (await banned('a')).includes(ip), 'the ban on a');
    await node('c').daemon.start();
    await until(async () => (await banned('c')).includes(ip), 'c to apply the fleet bans after its restart');
  });

  it('hostile values written into Redis are refused, never applied', async () => {
    const before = await banned('a');
    const hostile = [
      { jail: 'sshd', target: '0.0.0.0/0', time: Date.now(), bantime: 3_600_000, failures: 1, banCount: 1, node: 'x' },
      { jail: 'sshd', target: '198.51.100.40; flush ruleset', time: Date.now(), bantime: 3_600_000, failures: 1, banCount: 1, node: 'x' },
      { jail: 'sshd', target: '198.051.100.41', time: Date.now(), bantime: 3_600_000, failures: 1, banCount: 1, node: 'x' },
      { jail: 'nosuchjail', target: '198.51.100.42', time: Date.now(), bantime: 3_600_000, failures: 1, banCount: 1, node: 'x' },
      { jail: 'sshd', target: '198.51.100.43', time: Date.now(), bantime: 1e308, failures: 1, banCount: 1, node: 'x' },
      { jail: 'sshd', target: '198.51.100.44', time: Date.now(), bantime: 3_600_000, failures: 1, banCount: 1, node: 'bad node name' },
    ];
    for (const h of hostile) redis.cli(['PUBLISH', 'portcullis:web:events', JSON.stringify({ type: 'ban', ...h })]);
    redis.cli(['PUBLISH', 'portcullis:web:events', '{"type":"ban","jail":']);
    // A good ban published after them shows the hostile ones were processed (and refused) first.
    redis.cli(['PUBLISH', 'portcullis:web:events', JSON.stringify({ type: 'ban', jail: 'sshd', target: '198.51.100.45', time: Date.now(), bantime: 3_600_000, failures: 5, banCount: 1, node: 'x' })]);
    await until(async () => (await banned('a')).includes('198.51.100.45'), 'the good ban on a');
    expect(await banned('a')).toEqual([...before, '198.51.100.45'].sort());
    expect(node('a').daemon.output).toContain('fleet: refused a value from the store');
    const fleet = await node('a').daemon.json<Fleet>(['status', '--fleet']);
    expect(fleet.refused).toBeGreaterThanOrEqual(1);
  });

  it('status --fleet lists the nodes with their heartbeats', async () => {
    await until(async () => (await node('a').daemon.json<Fleet>(['status', '--fleet'])).nodes.filter((n) => n.connected).length === 3, 'three connected nodes');
    const text = await node('b').daemon.client(['status', '--fleet']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/fleet web \(redis\), this node b: connected/);
    expect(text.stdout).toMatch(/^a\s+\S+ ago\s+\d+\s+yes$/m);
  });
});
