import { createHash } from 'node:crypto';
import { type BanTicket, type JailInfo, defineAction, findProgram, parseNetwork } from '@portcullis/core';
import { type IptablesOptions, iptablesOptions } from './options.js';
import { runProgram } from './run-program.js';
import { numericPort } from './service-ports.js';

type Family = 4 | 6;

/** From this many addresses in one unban batch, the plain chain is rewritten rather than edited rule by rule. */
/** Longest timeout ipset takes, in seconds ((2^32−1)/2 ms): it refuses a longer one outright. */
const IPSET_MAX_TIMEOUT = 2_147_483;

const REWRITE_FROM = 64;

/**
 * Jump-rule matches for the jail's ports/protocol: one per protocol (tcp and udp for `all` with ports) and
 * per group of ports — `multiport` takes at most 15 ports, a range counting as two.
 */
function jumpMatches(jail: JailInfo): string[][] {
  const groups: string[][] = [];
  let weight = 15;
  for (const port of jail.ports.map((p) => numericPort(jail.name, p))) {
    const w = port.includes(':') ? 2 : 1;
    if (weight + w > 15) {
      groups.push([]);
      weight = 0;
    }
    groups.at(-1)!.push(port);
    weight += w;
  }
  const protos = jail.protocol === 'all' ? (groups.length ? ['tcp', 'udp'] : [undefined]) : [jail.protocol];
  return protos.flatMap((p) => {
    const proto = p ? ['-p', p] : [];
    return groups.length ? groups.map((g) => [...proto, '-m', 'multiport', '--dports', g.join(',')]) : [proto];
  });
}

/**
 * The jail's chain name, `portcullis-<jail>`. iptables allows 28 characters (and ipset names 31, which
 * leaves room for `-v4`); a longer or unusual jail name is cut and gets a short hash of the real name so
 * two jails never share a chain.
 */
export function chainName(jail: string): string {
  const plain = `portcullis-${jail}`;
  if (plain.length <= 28 && /^[A-Za-z0-9_.-]+$/.test(jail)) return plain;
  const hash = createHash('sha256').update(jail).digest('hex').slice(0, 6);
  return `portcullis-${jail.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 10)}-${hash}`;
}

/**
 * The iptables action: per jail a chain in iptables and ip6tables, jumped to from INPUT for the jail's
 * ports. Without ipset the chain holds one rule per banned address or network (`-s net/len`); batches go through one
 * `iptables-restore --noflush` per family. With `ipset: true`, addresses and networks live in two `hash:net` ipsets (with kernel
 * timeouts) matched by one rule, and batches go through one `ipset restore -exist`.
 */
export const iptablesAction = defineAction<IptablesOptions>({
  id: 'iptables',
  description: 'Ban with iptables and ip6tables (a chain per jail), optionally with ipset',
  options: iptablesOptions,
  create(options, ctx) {
    const name = chainName(ctx.jail.name);
    // `hash:net` sets (addresses and networks). Earlier releases made `hash:ip` sets named `-v4`/`-v6`; a set's
    // type cannot change in place, so these have new names and start() removes the old ones.
    const sets = { 4: `${name}-n4`, 6: `${name}-n6` } as const;
    const oldSets = [`${name}-v4`, `${name}-v6`];
    const timeoutMs = options.timeout * 1000;
    const bin = (which: 'iptables' | 'ip6tables' | 'ipset', restore = false) => {
      const base = (which === 'ipset' ? options.ipsetPath : options[which]) ?? findProgram(which) ?? which;
      return restore ? `${base}-restore` : base;
    };
    const run = (argv: string[], input?: string) => runProgram([...options.commandPrefix, ...argv], input, timeoutMs);
    const tables = (f: Family) => (f === 4 ? 'iptables' : 'ip6tables');
    const verdict = (f: Family) => (options.blocktype === 'DROP' ? ['-j', 'DROP'] : ['-j', 'REJECT', '--reject-with', f === 4 ? 'icmp-port-unreachable' : 'icmp6-port-unreachable']);
    /** Addresses with a rule in our chain (no-ipset mode): keeps ban/unban idempotent. */
    const present: Record<Family, Set<string>> = { 4: new Set(), 6: new Set() };

    const restore = (f: Family, lines: string[]) => run([bin(tables(f), true), '-w', '--noflush'], `*filter\n${lines.join('\n')}\nCOMMIT\n`);

    const ensureJumps = async (f: Family) => {
      for (const m of jumpMatches(ctx.jail)) {
        const rule = [options.chain, ...m, '-j', name];
        const exists = await run([bin(tables(f)), '-w', '-C', ...rule]).then(() => true, () => false);
        if (!exists) await run([bin(tables(f)), '-w', '-I', ...rule]);
      }
    };

    const split = (tickets: readonly BanTicket[]) => {
      const out: Record<Family, { ip: string; seconds: number }[]> = { 4: [], 6: [] };
      const now = Date.now();
      for (const t of tickets) {
        const p = parseNetwork(t.ip);
        if (!p) {
          ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address is not valid');
          continue;
        }
        const left = Number.isFinite(t.expires) ? Math.max(1, Math.ceil((t.expires - now) / 1000)) : 0;
        // ipset timeouts stop at IPSET_MAX_TIMEOUT (~24.8 days); a longer ban gets none and the engine lifts it.
        out[p.family].push({ ip: p.canonical, seconds: left > IPSET_MAX_TIMEOUT ? 0 : left });
      }
      return out;
    };

    const chainRules = async (f: Family): Promise<string[] | undefined> =>
      run([bin(tables(f)), '-w', '-S', name]).then((o) => o.split('\n'), () => undefined);

    return {
      async start() {
        if (options.ipset) {
          await run([bin('ipset'), 'restore', '-exist'], `create ${sets[4]} hash:net family inet timeout 0 maxelem 1048576\ncreate ${sets[6]} hash:net family inet6 timeout 0 maxelem 1048576\n`);
        }
        for (const f of [4, 6] as const) {
          // Declaring the chain in a --noflush restore creates it or empties it: a restart never duplicates rules.
          const body = options.ipset ? [`-A ${name} -m set --match-set ${sets[f]} src ${verdict(f).join(' ')}`] : [];
          await restore(f, [`:${name} - [0:0]`, ...body, `-A ${name} -j RETURN`]);
          present[f].clear();
          await ensureJumps(f);
        }
        // The chain no longer uses the old hash:ip sets: remove them if they are there (best effort).
        if (options.ipset) for (const old of oldSets) await run([bin('ipset'), 'destroy', old]).catch(() => {});
      },

      async ban(tickets) {
        const byFamily = split(tickets);
        if (options.ipset) {
          const lines = ([4, 6] as const).flatMap((f) => byFamily[f].map((a) => `add ${sets[f]} ${a.ip}${a.seconds ? ` timeout ${a.seconds}` : ''}`));
          if (lines.length) await run([bin('ipset'), 'restore', '-exist'], `${lines.join('\n')}\n`);
          return;
        }
        for (const f of [4, 6] as const) {
          const fresh = [...new Set(byFamily[f].map((a) => a.ip))].filter((ip) => !present[f].has(ip));
          if (!fresh.length) continue;
          await restore(f, fresh.map((ip) => `-I ${name} 1 -s ${ip} ${verdict(f).join(' ')}`));
          for (const ip of fresh) present[f].add(ip);
        }
      },

      async unban(tickets) {
        const byFamily = split(tickets);
        if (options.ipset) {
          const lines = ([4, 6] as const).flatMap((f) => byFamily[f].map((a) => `del ${sets[f]} ${a.ip}`));
          if (lines.length) await run([bin('ipset'), 'restore', '-exist'], `${lines.join('\n')}\n`);
          return;
        }
        for (const f of [4, 6] as const) {
          const ips = [...new Set(byFamily[f].map((a) => a.ip))].filter((ip) => present[f].has(ip));
          if (!ips.length) continue;
          if (ips.length >= REWRITE_FROM) {
            // `-D` by rule spec searches the chain once per address (quadratic for big batches): rewrite the
            // chain with the addresses that stay, in one atomic restore, instead.
            const gone = new Set(ips);
            const stay = [...present[f]].filter((ip) => !gone.has(ip));
            await restore(f, [`:${name} - [0:0]`, ...stay.map((ip) => `-A ${name} -s ${ip} ${verdict(f).join(' ')}`), `-A ${name} -j RETURN`]);
            present[f] = new Set(stay);
            continue;
          }
          const del = (list: string[]) => restore(f, list.map((ip) => `-D ${name} -s ${ip} ${verdict(f).join(' ')}`));
          await del(ips).catch(async (error: unknown) => {
            // A rule removed by hand fails the whole transaction: delete what is really there.
            const rules = await chainRules(f);
            if (!rules) throw error;
            const mask = f === 4 ? '/32' : '/128';
            const still = ips.filter((ip) => rules.some((r) => r.includes(` -s ${ip}${ip.includes('/') ? '' : mask} `)));
            if (still.length) await del(still);
          });
          for (const ip of ips) present[f].delete(ip);
        }
      },

      async check() {
        for (const f of [4, 6] as const) {
          const rules = await chainRules(f);
          if (!rules?.some((r) => r.includes('-j RETURN'))) return false;
          for (const m of jumpMatches(ctx.jail)) {
            const ok = await run([bin(tables(f)), '-w', '-C', options.chain, ...m, '-j', name]).then(() => true, () => false);
            if (!ok) return false;
          }
        }
        if (options.ipset) {
          for (const f of [4, 6] as const) if (!(await run([bin('ipset'), 'list', '-n', sets[f]]).then(() => true, () => false))) return false;
        }
        return true;
      },

      async flush() {
        if (options.ipset) {
          await run([bin('ipset'), 'restore', '-exist'], `flush ${sets[4]}\nflush ${sets[6]}\n`);
          return;
        }
        for (const f of [4, 6] as const) {
          const body = [`-A ${name} -j RETURN`];
          await restore(f, [`:${name} - [0:0]`, ...body]);
          present[f].clear();
        }
      },

      async stop() {
        if (options.keepBansOnStop) return;
        for (const f of [4, 6] as const) {
          for (const m of jumpMatches(ctx.jail)) {
            for (let i = 0; i < 10 && (await run([bin(tables(f)), '-w', '-D', options.chain, ...m, '-j', name]).then(() => true, () => false)); i++);
          }
          await run([bin(tables(f)), '-w', '-F', name]).catch(() => {});
          await run([bin(tables(f)), '-w', '-X', name]).catch(() => {});
          present[f].clear();
        }
        if (options.ipset) for (const f of [4, 6] as const) await run([bin('ipset'), 'destroy', sets[f]]).catch(() => {});
      },
    };
  },
});
