import { type BanTarget, type BanTicket, banTarget, defineAction, findProgram, targetsOverlap } from '@portcullis/core';
import { type JailIpset, ipsetFor, jailIpsets, newIpsetArgs, richRules } from './firewalld-objects.js';
import { type FirewalldOptions, firewalldOptions } from './options.js';
import { type FirewallCmdRunner, runFirewallCmd } from './run-firewall-cmd.js';

/**
 * Instances talking to one firewalld, so a `--reload` one of them needs (to load a new permanent ipset) lets
 * the others put back what the reload wiped from the runtime configuration at once, not at their next check.
 */
const peers = new Map<string, Set<() => Promise<void>>>();

const STDIN = '/dev/stdin';

/**
 * The firewalld action. Per jail, four ipsets in firewalld's permanent configuration (addresses and networks,
 * IPv4 and IPv6; created once, then loaded with one `--reload`) and runtime rich rules in a zone that reject or
 * drop their members, for the jail's ports or all traffic. Entries are runtime only: every batch is one
 * `firewall-cmd --ipset=X --add-entries-from-file=/dev/stdin` per set touched, and nothing of a ban outlives
 * firewalld's next restart, after which the engine re-applies its current bans.
 */
export const firewalldAction = defineAction<FirewalldOptions>({
  id: 'firewalld',
  description: 'Ban through firewalld ipsets and rich rules (firewall-cmd), IPv4 and IPv6, addresses and networks',
  options: firewalldOptions,
  create(options, ctx) {
    const runner: FirewallCmdRunner = {
      firewallCmd: options.firewallCmd ?? findProgram('firewall-cmd') ?? 'firewall-cmd',
      prefix: options.commandPrefix,
      timeoutMs: options.timeout * 1000,
    };
    const fc = (args: string[], input?: string) => runFirewallCmd(runner, args, input);
    const sets = jailIpsets(options.ipsetPrefix, ctx.jail.name);
    const rules = richRules(sets, ctx.jail, options.blocktype);
    const peerKey = [...runner.prefix, runner.firewallCmd].join('\0');
    /** What this jail holds in its sets, per set name: the engine's applied bans. */
    const held = new Map<string, Map<string, BanTarget>>(sets.map((s) => [s.name, new Map()]));
    let zone: string | undefined;
    // One firewall-cmd sequence at a time per instance: add/remove-entries read the set and write it back.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = queue.then(fn, fn);
      queue = next.catch(() => {});
      return next;
    };
    const lines = (out: string) => out.split(/\s+/).filter(Boolean);
    const zoneArg = async () => `--zone=${(zone ??= options.zone ?? (await fc(['--get-default-zone'])).trim())}`;

    const targets = (tickets: readonly BanTicket[]): BanTarget[] => {
      const out = new Map<string, BanTarget>();
      for (const t of tickets) {
        const target = banTarget(t.ip, (t as { prefixlen?: number }).prefixlen);
        if (!target) ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address or network is not valid');
        else out.set(target.entry, target);
      }
      return [...out.values()];
    };
    const bySet = (list: readonly BanTarget[]) => {
      const groups = new Map<JailIpset, BanTarget[]>();
      for (const t of list) {
        const set = ipsetFor(sets, t);
        groups.set(set, [...(groups.get(set) ?? []), t]);
      }
      return groups;
    };
    const addEntries = (set: JailIpset, list: readonly BanTarget[]) =>
      fc([`--ipset=${set.name}`, `--add-entries-from-file=${STDIN}`], list.map((t) => `${t.entry}\n`).join(''));
    const removeEntries = async (set: JailIpset, entries: readonly string[]) => {
      if (entries.length) await fc([`--ipset=${set.name}`, `--remove-entries-from-file=${STDIN}`], entries.map((e) => `${e}\n`).join(''));
    };

    /** Put back rules and entries after someone else's reload wiped the runtime configuration. */
    const reapply = () =>
      serial(async () => {
        await fc([await zoneArg(), ...rules.map((r) => `--add-rich-rule=${r}`)]);
        for (const set of sets) {
          const mine = [...held.get(set.name)!.values()];
          if (mine.length) await addEntries(set, mine);
        }
      });

    return {
      start: () =>
        serial(async () => {
          const permanent = new Set(lines(await fc(['--permanent', '--get-ipsets'])));
          for (const set of sets) if (!permanent.has(set.name)) await fc(newIpsetArgs(set));
          const runtime = new Set(lines(await fc(['--get-ipsets'])));
          if (sets.some((s) => !runtime.has(s.name))) {
            // firewalld creates ipsets in the permanent configuration only; a reload loads them (once per install).
            ctx.logger.info({ ipsets: sets.map((s) => s.name) }, 'loading new ipsets with firewall-cmd --reload');
            await fc(['--reload']);
            for (const other of peers.get(peerKey) ?? []) if (other !== reapply) void other().catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not re-apply bans after the reload'));
          }
          let registered = peers.get(peerKey);
          if (!registered) peers.set(peerKey, (registered = new Set()));
          registered.add(reapply);
          await fc([await zoneArg(), ...rules.map((r) => `--add-rich-rule=${r}`)]);
          // Entries we do not hold are left over from an earlier run (a crash, a kill): the engine re-applies
          // every current ban after start, so anything else in our sets is a stale ban.
          for (const set of sets) {
            const mine = held.get(set.name)!;
            await removeEntries(set, lines(await fc([`--ipset=${set.name}`, '--get-entries'])).filter((e) => !mine.has(e)));
          }
        }),

      ban: (tickets) =>
        serial(async () => {
          for (const [set, list] of bySet(targets(tickets))) {
            const mine = held.get(set.name)!;
            const fresh: BanTarget[] = [];
            for (const t of list) {
              // firewalld refuses a network that overlaps another entry of the same set, and would fail the whole
              // batch. A repeat of an entry is no clash: firewall-cmd skips what the set already holds.
              const clash = set.type === 'hash:net' ? [...mine.values(), ...fresh].find((o) => o.entry !== t.entry && targetsOverlap(o, t)) : undefined;
              if (clash) ctx.logger.error({ entry: t.entry, overlaps: clash.entry }, `cannot ban ${t.entry}: it overlaps ${clash.entry}, already banned in ${set.name}`);
              else fresh.push(t);
            }
            if (!fresh.length) continue;
            await addEntries(set, fresh);
            for (const t of fresh) mine.set(t.entry, t);
          }
        }),

      unban: (tickets) =>
        serial(async () => {
          for (const [set, list] of bySet(targets(tickets))) {
            await removeEntries(set, list.map((t) => t.entry));
            for (const t of list) held.get(set.name)!.delete(t.entry);
          }
        }),

      check: () =>
        serial(async () => {
          const present = (await fc([await zoneArg(), '--list-rich-rules'])).split('\n').map((l) => l.trim());
          if (!rules.every((r) => present.includes(r))) return false;
          const runtime = new Set(lines(await fc(['--get-ipsets'])));
          if (!sets.every((s) => runtime.has(s.name))) return false;
          for (const set of sets) {
            const mine = held.get(set.name)!;
            if (!mine.size) continue;
            const entries = new Set(lines(await fc([`--ipset=${set.name}`, '--get-entries'])));
            for (const e of mine.keys()) if (!entries.has(e)) return false;
          }
          return true;
        }),

      flush: () =>
        serial(async () => {
          for (const set of sets) {
            const mine = held.get(set.name)!;
            await removeEntries(set, [...mine.keys()]);
            mine.clear();
          }
        }),

      async stop() {
        peers.get(peerKey)?.delete(reapply);
        if (options.keepBansOnStop) return;
        await serial(async () => {
          // The ipsets stay in the permanent configuration, empty: removing them would need another reload.
          await fc([await zoneArg(), ...rules.map((r) => `--remove-rich-rule=${r}`)]);
          for (const set of sets) {
            const mine = held.get(set.name)!;
            await removeEntries(set, [...mine.keys()]);
            mine.clear();
          }
        });
      },
    };
  },
});
