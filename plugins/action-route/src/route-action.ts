import { type BanTicket, defineAction, findProgram } from '@portcullis/core';
import { type RouteOptions, routeOptions } from './options.js';
import { type RouteTarget, routeTarget } from './route-target.js';
import { batchFailures, type IpRunner, runIp } from './run-ip.js';

/**
 * Routes are global to the host, not per jail: when two jails ban the same address they share one route.
 * Each destination remembers which jails hold it, so one jail's unban never lifts another's ban. Keyed by
 * the route family (table, type, proto), per process.
 */
const holders = new Map<string, Map<string, Set<string>>>();

/** ip's answer to deleting a route that is not there: not an error for an idempotent unban. */
const ABSENT = /No such process|Cannot find device|No such file or directory/;

/**
 * The route action: a banned address or network gets a `blackhole` (or `unreachable`/`prohibit`) route, so
 * the host's replies never reach it. Works without any firewall, on every kernel, for IPv4 and IPv6, and holds
 * networks as well as addresses. Every batch is one `ip -batch -` process. Our routes carry their own
 * protocol number, so `check`, `flush` and `stop` never touch a route the administrator made.
 */
export const routeAction = defineAction<RouteOptions>({
  id: 'route',
  description: 'Ban with blackhole/unreachable/prohibit routes (iproute2), IPv4 and IPv6, addresses and networks',
  options: routeOptions,
  create(options, ctx) {
    const runner: IpRunner = {
      ip: options.ip ?? findProgram('ip') ?? 'ip',
      prefix: options.commandPrefix,
      timeoutMs: options.timeout * 1000,
    };
    const suffix = `table ${options.table} proto ${options.proto}`;
    const familyKey = `${options.commandPrefix.join(' ')}|${options.type}|${suffix}`;
    let routes = holders.get(familyKey);
    if (!routes) holders.set(familyKey, (routes = new Map()));
    const shared = routes;
    const jail = ctx.jail.name;

    const targets = (tickets: readonly BanTicket[]): RouteTarget[] => {
      const out = new Map<string, RouteTarget>();
      for (const t of tickets) {
        const target = routeTarget(t.ip, (t as { prefixlen?: number }).prefixlen);
        if (!target) ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address or network is not valid');
        else out.set(target.destination, target);
      }
      return [...out.values()];
    };

    /** Delete routes, treating "not there" as done; any other error rejects. */
    const remove = async (destinations: readonly string[]) => {
      if (!destinations.length) return;
      const script = destinations.map((d) => `route del ${options.type} ${d} ${suffix}\n`).join('');
      try {
        await runIp(runner, ['-force', '-batch', '-'], script);
      } catch (error) {
        if (batchFailures(error, ABSENT).other) throw error;
      }
    };

    /** Our routes currently in the kernel, as canonical destinations. */
    const listed = async (): Promise<Set<string>> => {
      const found = new Set<string>();
      for (const family of ['-4', '-6']) {
        const out = await runIp(runner, [family, 'route', 'show', 'table', String(options.table), 'proto', String(options.proto), 'type', options.type]);
        for (const line of out.split('\n')) {
          const word = line.trim().split(/\s+/);
          // `blackhole 192.0.2.1` (type first for special routes), or just the destination.
          const dest = word[0] === options.type ? word[1] : word[0];
          const target = dest ? routeTarget(dest) : undefined;
          if (target) found.add(target.destination);
        }
      }
      return found;
    };

    const mine = (): string[] => [...shared].filter(([, jails]) => jails.has(jail)).map(([d]) => d);

    return {
      async ban(tickets) {
        const list = targets(tickets);
        if (!list.length) return;
        // `add`, never `replace`: replace would take over a route of the same destination that is not ours
        // (the kernel's route to a connected network, an administrator's), and our unban would then delete it.
        const script = list.map((t) => `route add ${options.type} ${t.destination} ${suffix}\n`).join('');
        let refused: RouteTarget[] = [];
        try {
          await runIp(runner, ['-force', '-batch', '-'], script);
        } catch (error) {
          const failed = batchFailures(error, /File exists/);
          if (failed.other) throw error;
          // Already there: ours (a repeated ban) is fine; anyone else's is a ban this action cannot hold.
          const ours = await listed();
          refused = failed.lines.map((n) => list[n - 1]!).filter((t) => !ours.has(t.destination));
          for (const t of refused) {
            ctx.logger.error({ destination: t.destination }, `cannot ban ${t.destination} with a ${options.type} route: a route to it that is not ours exists`);
          }
        }
        for (const t of list) {
          if (refused.includes(t)) continue;
          let jails = shared.get(t.destination);
          if (!jails) shared.set(t.destination, (jails = new Set()));
          jails.add(jail);
        }
      },

      async unban(tickets) {
        const gone: string[] = [];
        for (const t of targets(tickets)) {
          const jails = shared.get(t.destination);
          jails?.delete(jail);
          if (jails && jails.size > 0) continue; // another jail still bans it
          shared.delete(t.destination);
          gone.push(t.destination);
        }
        await remove(gone);
      },

      async check() {
        const present = await listed();
        return mine().every((d) => present.has(d));
      },

      async flush() {
        const gone: string[] = [];
        for (const d of mine()) {
          const jails = shared.get(d)!;
          jails.delete(jail);
          if (jails.size === 0) {
            shared.delete(d);
            gone.push(d);
          }
        }
        await remove(gone);
      },

      async stop() {
        if (options.keepBansOnStop) return;
        await this.flush!();
      },
    };
  },
});
