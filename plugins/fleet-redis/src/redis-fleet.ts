import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FleetBan, FleetContext, FleetCount, FleetFailure, FleetInstance, FleetNode, FleetStatus } from '@portcullis/core';
import { createClient } from 'redis';
import { FleetKeys } from './keys.js';
import type { RedisFleetOptions } from './options.js';
import { ADD_FAILURE, PUBLISH_BAN, PUBLISH_UNBAN } from './scripts.js';

type Client = ReturnType<typeof createClient>;

const DEFAULT_HEARTBEAT_S = 5;
const DEFAULT_HISTORY_S = 30 * 86_400;
/** Current bans read per MGET when (re)loading the fleet's bans. */
const LOAD_CHUNK = 1000;
/** A value longer than this from the store is refused before it is parsed. */
const MAX_VALUE = 4096;

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Reconnect with backoff: 100 ms, 200 ms, … up to 5 s, forever (a node works alone meanwhile). */
function backoff(retries: number): number {
  return Math.min(5000, 100 * 2 ** Math.min(retries, 6));
}

/**
 * The Redis (and Valkey) fleet backend. One connection for commands, one for the event channel. Decisions
 * that must happen once fleet-wide (a failure that crosses maxretry, a ban recorded) run as Lua scripts, which
 * Redis executes atomically. While Redis is unreachable every call resolves at once without effect: commands
 * are not queued (a node banning alone must not pile up a backlog); on reconnect the node re-publishes its own
 * current bans and loads the fleet's.
 */
export function createRedisFleet(options: RedisFleetOptions, ctx: FleetContext): FleetInstance {
  const keys = new FleetKeys(ctx.fleet);
  const heartbeatMs = ('heartbeat' in options && options.heartbeat ? options.heartbeat : DEFAULT_HEARTBEAT_S) * 1000;
  const historyMs = ('history' in options && options.history ? options.history : DEFAULT_HISTORY_S) * 1000;
  const shareBans = ctx.share.includes('bans');
  let client: Client | undefined;
  let subscriber: Client | undefined;
  let connected = false;
  let wasConnected = false;
  let bansApplied = 0;
  let refused = 0;
  let seq = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopping = false;
  const shas = new Map<string, string>();

  const clientOptions = () => {
    const o = options as RedisFleetOptions & { username?: string; passwordFile?: string; tls?: { ca?: string; cert?: string; key?: string; servername?: string } };
    const file = (p: string) => readFileSync(resolve(ctx.configDir, p), 'utf8');
    const password = o.passwordFile ? file(o.passwordFile).split('\n')[0]!.trim() : undefined;
    const isSocket = o.url.startsWith('/');
    const tls = o.url.startsWith('rediss://')
      ? { tls: true as const, ...(o.tls?.ca ? { ca: file(o.tls.ca) } : {}), ...(o.tls?.cert ? { cert: file(o.tls.cert) } : {}), ...(o.tls?.key ? { key: file(o.tls.key) } : {}), ...(o.tls?.servername ? { servername: o.tls.servername } : {}) }
      : {};
    return {
      ...(isSocket ? {} : { url: o.url }),
      ...(o.username ? { username: o.username } : {}),
      ...(password !== undefined ? { password } : {}),
      name: `portcullis-${ctx.node}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
      disableOfflineQueue: true,
      socket: { ...(isSocket ? { path: o.url } : {}), ...tls, connectTimeout: 5000, reconnectStrategy: backoff },
    };
  };

  const run = async (script: string, keyList: string[], args: string[]): Promise<unknown> => {
    const c = client!;
    let sha = shas.get(script);
    if (!sha) shas.set(script, (sha = sha1(script)));
    try {
      return await c.evalSha(sha, { keys: keyList, arguments: args });
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error).message))) throw error;
      return await c.eval(script, { keys: keyList, arguments: args });
    }
  };

  const setConnected = (value: boolean, reason?: string) => {
    if (value === connected) return;
    connected = value;
    ctx.connectionChanged(value);
    if (value) ctx.logger.info({}, wasConnected ? 'fleet: Redis is back; re-publishing this node\'s bans and loading the fleet\'s' : 'fleet: connected to Redis');
    else if (!stopping) ctx.logger.warn({ reason }, 'fleet: Redis unreachable; this node keeps counting and banning on its own and reconnects with backoff');
  };

  const onEvent = (message: string) => {
    if (message.length > MAX_VALUE) {
      refused++;
      return;
    }
    let event: { type?: unknown; node?: unknown; jail?: unknown; target?: unknown };
    try {
      event = JSON.parse(message) as typeof event;
    } catch {
      refused++;
      ctx.logger.warn({}, 'fleet: refused an event that is not JSON');
      return;
    }
    if (event.node === ctx.node) return; // our own, echoed back
    if (event.type === 'ban') {
      if (ctx.applyBan(event)) bansApplied++;
    } else if (event.type === 'unban') ctx.liftBan(event.jail, event.target);
    else refused++;
  };

  /** Publish this node's current bans (kept if already there), then apply every fleet ban in the store. */
  const resync = async () => {
    const own = [...ctx.localBans()];
    if (own.length) await publish(own);
    const now = Date.now();
    await client!.zRemRangeByScore(keys.index, '-inf', now);
    const members = await client!.zRangeByScore(keys.index, now, '+inf');
    for (let i = 0; i < members.length; i += LOAD_CHUNK) {
      const chunk = members.slice(i, i + LOAD_CHUNK);
      const values = await client!.mGet(chunk.map((m) => `${keys.prefix}b:${m}`));
      for (const value of values) {
        if (value === null) continue;
        if (value.length > MAX_VALUE) {
          refused++;
          continue;
        }
        try {
          const ban = JSON.parse(value) as { node?: unknown };
          if (ban.node === ctx.node) continue;
          if (ctx.applyBan(ban)) bansApplied++;
        } catch {
          refused++;
        }
      }
    }
  };

  const beat = async () => {
    if (!connected || !client) return;
    const now = Date.now();
    try {
      await client
        .multi()
        .hSet(keys.node(ctx.node), { lastHeartbeat: String(now), bansApplied: String(bansApplied) })
        .pExpire(keys.node(ctx.node), heartbeatMs * 3)
        .zAdd(keys.nodes, { score: now, value: ctx.node })
        .zRemRangeByScore(keys.nodes, '-inf', now - 86_400_000)
        .zRemRangeByScore(keys.index, '-inf', now)
        .exec();
    } catch {
      // the next beat retries; connection state is tracked by the client's events
    }
  };

  const publish = async (bans: readonly FleetBan[]) => {
    await Promise.all(
      bans.map((ban) => {
        const ttl = ban.bantime < 0 ? -1 : ban.time + ban.bantime - Date.now();
        if (ban.bantime >= 0 && ttl <= 0) return undefined;
        const member = `${ban.jail}|${ban.target}`;
        const json = JSON.stringify(ban);
        const event = JSON.stringify({ type: 'ban', ...ban });
        const score = ban.bantime < 0 ? '+inf' : String(ban.time + ban.bantime);
        return run(PUBLISH_BAN, [keys.ban(ban.jail, ban.target), keys.index, keys.history(ban.jail, ban.target)], [json, String(ttl), score, member, keys.channel, event, String(historyMs)]);
      }),
    );
  };

  return {
    async start() {
      client = createClient(clientOptions());
      client.on('error', (error: Error) => setConnected(false, error.message));
      client.on('end', () => setConnected(false, 'connection closed'));
      client.on('ready', () => {
        const first = !wasConnected;
        setConnected(true);
        wasConnected = true;
        void (async () => {
          try {
            if (shareBans) await resync();
            await beat();
          } catch (error) {
            ctx.logger.warn({ err: error }, `fleet: could not ${first ? 'load' : 'reload'} the fleet's bans`);
          }
        })();
      });
      if (shareBans) {
        subscriber = client.duplicate();
        subscriber.on('error', () => {});
        // node-redis re-subscribes after a reconnect; the resync above covers what was missed meanwhile.
        void subscriber
          .connect()
          .then(() => subscriber!.subscribe(keys.channel, onEvent))
          .catch((error: unknown) => ctx.logger.warn({ err: error }, 'fleet: cannot subscribe to ban events yet'));
      }
      // Connecting does not block start: a node whose Redis is down starts and bans on its own.
      void client.connect().catch(() => {});
      heartbeat = setInterval(() => void beat(), heartbeatMs);
      heartbeat.unref();
    },

    async stop() {
      stopping = true;
      if (heartbeat) clearInterval(heartbeat);
      for (const c of [subscriber, client]) {
        if (!c) continue;
        try {
          if (c.isOpen) await c.close();
          else c.destroy();
        } catch {
          c.destroy();
        }
      }
    },

    async addFailures(failures: readonly FleetFailure[]): Promise<readonly FleetCount[] | undefined> {
      if (!connected || !failures.length) return undefined;
      try {
        const replies = await Promise.all(
          failures.map((f) => run(ADD_FAILURE, [keys.failures(f.jail, f.key), keys.ban(f.jail, f.key), keys.claim(f.jail, f.key)], [String(f.time), String(f.findtime), String(f.maxretry), `${ctx.node}:${++seq}`])),
        );
        return replies.map((r) => {
          const [count, decides] = r as [number, number];
          return { count: Number(count), decides: Number(decides) === 1 };
        });
      } catch {
        return undefined;
      }
    },

    async publishBans(bans) {
      if (!connected || !bans.length || !shareBans) return;
      try {
        await publish(bans);
      } catch (error) {
        // Published again on the next reconnect (as part of this node's current bans).
        ctx.logger.warn({ err: error }, 'fleet: could not publish bans');
      }
    },

    async publishUnbans(unbans) {
      if (!connected || !unbans.length || !shareBans) return;
      try {
        await Promise.all(
          unbans.map((u) => run(PUBLISH_UNBAN, [keys.ban(u.jail, u.target), keys.index], [`${u.jail}|${u.target}`, keys.channel, JSON.stringify({ type: 'unban', jail: u.jail, target: u.target, node: ctx.node })])),
        );
      } catch (error) {
        ctx.logger.warn({ err: error }, 'fleet: could not publish unbans');
      }
    },

    async banCount(jail, target) {
      if (!connected) return undefined;
      try {
        const value = await client!.get(keys.history(jail, target));
        const n = value === null ? 0 : Number(value);
        return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
      } catch {
        return undefined;
      }
    },

    async status(): Promise<FleetStatus> {
      let nodes: FleetNode[] = [];
      let bans: number | undefined;
      if (connected) {
        try {
          const now = Date.now();
          const list = await client!.zRangeWithScores(keys.nodes, 0, -1);
          nodes = await Promise.all(
            list.slice(0, 1000).map(async ({ value, score }) => {
              const h = await client!.hGetAll(keys.node(value));
              const last = Number(h.lastHeartbeat ?? score);
              return { name: value.slice(0, 200), lastHeartbeat: last, bansApplied: Number(h.bansApplied ?? 0) || 0, connected: now - last < heartbeatMs * 3 };
            }),
          );
          bans = await client!.zCount(keys.index, now, '+inf');
        } catch {
          bans = undefined;
        }
      }
      return { backend: 'redis', name: ctx.fleet, node: ctx.node, connected, share: ctx.share, nodes, bans, refused };
    },
  };
}
