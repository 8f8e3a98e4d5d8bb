import { type BanTarget, type BanTicket, banTarget, defineAction, findProgram } from '@portcullis/core';
import { type UfwOptions, ufwOptions } from './options.js';
import { type UfwRunner, runUfw } from './run-ufw.js';
import { isActive, listedRules, portClauses } from './ufw-rules.js';

/**
 * One ufw command sequence at a time per ufw (binary and prefix), across jails: rule numbers from one
 * `status numbered` must still be right when the deletes that use them run.
 */
const queues = new Map<string, Promise<unknown>>();

/**
 * The ufw action: a banned address or network gets `ufw prepend reject from <addr> [to any port P proto T]`
 * rules with the comment `portcullis:<jail>`, so they come before the administrator's allow rules and are
 * recognisably ours in `ufw status`. ufw takes one rule per process; a batch runs its commands back to back
 * and skips targets whose rules `ufw status` already lists. Unban deletes the same rules by their spec.
 */
export const ufwAction = defineAction<UfwOptions>({
  id: 'ufw',
  description: "Ban with ufw reject/deny rules marked as ours (Ubuntu's firewall), IPv4 and IPv6, addresses and networks",
  options: ufwOptions,
  create(options, ctx) {
    const runner: UfwRunner = { ufw: options.ufw ?? findProgram('ufw') ?? 'ufw', prefix: options.commandPrefix, timeoutMs: options.timeout * 1000 };
    const ufw = (args: string[]) => runUfw(runner, args);
    const key = [...runner.prefix, runner.ufw].join('\0');
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = (queues.get(key) ?? Promise.resolve()).then(fn, fn);
      queues.set(key, next.catch(() => {}));
      return next;
    };
    const jail = ctx.jail.name;
    const comment = `portcullis:${jail}`;
    const clauses = portClauses(ctx.jail);
    /** The targets this jail has banned (the engine's applied bans), by canonical source. */
    const held = new Map<string, BanTarget>();

    const targets = (tickets: readonly BanTicket[]): BanTarget[] => {
      const out = new Map<string, BanTarget>();
      for (const t of tickets) {
        const target = banTarget(t.ip, (t as { prefixlen?: number }).prefixlen);
        if (!target) ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address or network is not valid');
        else out.set(target.entry, target);
      }
      return [...out.values()];
    };
    /** `ufw status numbered`: whether ufw is active, and how many of our rules name each source. */
    const listing = async () => {
      const status = await ufw(['status', 'numbered']);
      const rules = listedRules(status).filter((r) => r.jail === jail);
      const counts = new Map<string, number>();
      for (const r of rules) {
        const source = banTarget(r.from)?.entry ?? r.from;
        counts.set(source, (counts.get(source) ?? 0) + 1);
      }
      return { active: isActive(status), rules, counts };
    };
    const remove = async (sources: readonly string[]) => {
      // ufw says "Could not delete non-existent rule" and exits 0: an idempotent unban.
      for (const source of sources) for (const clause of clauses) await ufw(['delete', options.blocktype, 'from', source, ...clause]);
    };

    return {
      start: () =>
        serial(async () => {
          const { active, rules } = await listing();
          // Rules added while ufw is disabled are saved but block nothing: status would claim bans that are not.
          if (!active) throw new Error('ufw is inactive: enable it with `ufw enable` (after allowing your ssh port), or use another action');
          // Our rules for sources we do not hold are left over from an earlier run (ufw keeps rules across
          // reboots); the engine re-applies every current ban after start. Highest number first keeps the rest valid.
          const stale = rules.filter((r) => !held.has(banTarget(r.from)?.entry ?? r.from)).map((r) => r.number);
          for (const n of stale.sort((a, b) => b - a)) await ufw(['--force', 'delete', String(n)]);
        }),

      ban: (tickets) =>
        serial(async () => {
          const list = targets(tickets);
          if (!list.length) return;
          const { counts } = await listing();
          for (const t of list) {
            if ((counts.get(t.entry) ?? 0) < clauses.length) {
              for (const clause of clauses) await ufw(['prepend', options.blocktype, 'from', t.entry, ...clause, 'comment', comment]);
            }
            held.set(t.entry, t);
          }
        }),

      unban: (tickets) =>
        serial(async () => {
          const list = targets(tickets);
          await remove(list.map((t) => t.entry));
          for (const t of list) held.delete(t.entry);
        }),

      check: () =>
        serial(async () => {
          const { active, counts } = await listing();
          return active && [...held.keys()].every((source) => (counts.get(source) ?? 0) >= clauses.length);
        }),

      flush: () =>
        serial(async () => {
          await remove([...held.keys()]);
          held.clear();
        }),

      async stop() {
        if (options.keepBansOnStop) return;
        await this.flush!();
      },
    };
  },
});
