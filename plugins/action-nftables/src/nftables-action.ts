import { type BanTicket, defineAction, findProgram, parseAddress } from '@portcullis/core';
import { addElements, deleteElements, flushScript, jailObjects, ruleCount, setNames, startScript, stopScript } from './nft-script.js';
import { type NftablesOptions, nftablesOptions } from './options.js';
import { type NftRunner, runNft } from './run-nft.js';

interface NftJson {
  nftables?: { set?: { name: string; elem?: unknown[] }; chain?: { name: string }; rule?: { chain: string } }[];
}

/**
 * The nftables action: per jail an IPv4 and an IPv6 set with kernel timeouts and a chain on the input
 * hook dropping (or rejecting) their members, for the jail's ports or all traffic. Every batch of bans
 * or unbans is one `nft -f -` transaction — one process however many addresses.
 */
export const nftablesAction = defineAction<NftablesOptions>({
  id: 'nftables',
  description: 'Ban with nftables sets (batched, kernel-side timeouts), IPv4 and IPv6',
  options: nftablesOptions,
  create(options, ctx) {
    const objects = jailObjects(options.family, options.table, ctx.jail.name);
    let runner: NftRunner | undefined;
    const nft = (args: string[], script?: string) => {
      runner ??= {
        nft: options.nft ?? findProgram('nft') ?? 'nft',
        prefix: options.commandPrefix,
        timeoutMs: options.timeout * 1000,
      };
      return runNft(runner, args, script);
    };
    const listTable = async (): Promise<NftJson | undefined> => {
      try {
        return JSON.parse(await nft(['-j', 'list', 'table', objects.family, objects.table])) as NftJson;
      } catch {
        return undefined;
      }
    };
    // Only validated, canonical addresses reach nft; anything else is logged and skipped.
    const valid = (tickets: readonly BanTicket[]) => {
      const out: BanTicket[] = [];
      for (const t of tickets) {
        const parsed = parseAddress(t.ip);
        if (!parsed) ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address is not valid');
        else if (parsed.family === 4 ? !objects.v4 : !objects.v6) ctx.logger.warn({ ip: t.ip }, `skipping an IPv${parsed.family} address: the table family is ${objects.family}`);
        else out.push({ ...t, ip: parsed.canonical, family: parsed.family });
      }
      return out;
    };

    return {
      async start() {
        await nft(['-f', '-'], startScript(objects, ctx.jail, options));
      },

      async ban(tickets) {
        const ok = valid(tickets);
        if (ok.length) await nft(['-f', '-'], addElements(objects, ok, Date.now()));
      },

      async unban(tickets) {
        const ok = valid(tickets);
        const v4 = ok.filter((t) => t.family === 4).map((t) => t.ip);
        const v6 = ok.filter((t) => t.family === 6).map((t) => t.ip);
        if (!v4.length && !v6.length) return;
        try {
          await nft(['-f', '-'], deleteElements(objects, v4, v6));
        } catch (error) {
          // One element already gone (expired in the kernel, removed by hand) fails the whole transaction:
          // delete only what is still there. Unbanning an unknown address is not an error.
          const present = await currentElements();
          if (!present) throw error;
          const left4 = v4.filter((ip) => present.has(ip));
          const left6 = v6.filter((ip) => present.has(ip));
          if (left4.length || left6.length) await nft(['-f', '-'], deleteElements(objects, left4, left6));
        }
      },

      async check() {
        const json = await listTable();
        if (!json?.nftables) return false;
        const names = new Set(json.nftables.flatMap((o) => [o.set?.name, o.chain?.name]).filter(Boolean));
        const rules = json.nftables.filter((o) => o.rule?.chain === objects.chain).length;
        return setNames(objects).every((s) => names.has(s)) && names.has(objects.chain) && rules >= ruleCount(objects);
      },

      async flush() {
        await nft(['-f', '-'], flushScript(objects));
      },

      async stop() {
        if (options.keepBansOnStop) return;
        const json = await listTable();
        if (!json?.nftables) return;
        // Delete only what is still there (a hand-deleted chain would otherwise fail the transaction).
        const names = new Set(json.nftables.flatMap((o) => [o.set?.name, o.chain?.name]).filter(Boolean));
        const script = stopScript(objects).split('\n').filter((l) => names.has(l.split(' ').at(-1))).join('\n');
        if (script) await nft(['-f', '-'], `${script}\n`);
        const after = await listTable();
        const remaining = after?.nftables?.filter((o) => o.set || o.chain).length ?? 0;
        if (after && remaining === 0) await nft(['delete', 'table', objects.family, objects.table]).catch(() => {});
      },
    };

    async function currentElements(): Promise<Set<string> | undefined> {
      const json = await listTable();
      if (!json?.nftables) return undefined;
      const out = new Set<string>();
      for (const o of json.nftables) {
        if (o.set?.name !== objects.set4 && o.set?.name !== objects.set6) continue;
        for (const e of o.set.elem ?? []) {
          const value = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
          const parsed = typeof value === 'string' ? parseAddress(value) : undefined;
          if (parsed) out.add(parsed.canonical);
        }
      }
      return out;
    }
  },
});
