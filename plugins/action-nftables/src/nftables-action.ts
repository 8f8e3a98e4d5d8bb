import { type BanTicket, type ListedBan, defineAction, findProgram, parseNetwork } from '@portcullis/core';
import { addElements, deleteElements, flushScript, jailObjects, listedElements, ruleCount, setNames, startScript, stopScript, upgradeScript } from './nft-script.js';
import { type NftablesOptions, nftablesOptions } from './options.js';
import { NftSession } from './nft-session.js';
import { type NftRunner, runNft } from './run-nft.js';

interface NftJson {
  nftables?: { set?: { name: string; flags?: string[] }; chain?: { name: string }; rule?: { chain: string } }[];
}

/**
 * The nftables action: per jail an IPv4 and an IPv6 interval set (addresses and networks) with kernel timeouts and a chain on the input
 * hook dropping (or rejecting) their members, for the jail's ports or all traffic. Every batch of bans
 * or unbans is one transaction, written to one long-lived `nft -i` process ({@link NftSession}); setting
 * up, checking, listing and removing the jail's objects run `nft` once each.
 */
export const nftablesAction = defineAction<NftablesOptions>({
  id: 'nftables',
  description: 'Ban with nftables sets (batched, kernel-side timeouts), IPv4 and IPv6',
  options: nftablesOptions,
  create(options, ctx) {
    const objects = jailObjects(options.family, options.table, ctx.jail.name);
    let runner: NftRunner | undefined;
    /**
     * Addresses this instance has put in the sets (and not removed since): a ban of one of these re-creates
     * its element so the new timeout applies on every kernel. Only a hint — an element that expired or was
     * removed behind our back is handled by the same statements.
     */
    const banned = new Set<string>();
    let session: NftSession | undefined;
    const runnerOf = (): NftRunner =>
      (runner ??= {
        nft: options.nft ?? findProgram('nft') ?? 'nft',
        prefix: options.commandPrefix,
        timeoutMs: options.timeout * 1000,
      });
    const nft = (args: string[], script?: string) => runNft(runnerOf(), args, script);
    /** A ban or unban batch: the hot path, through the long-lived process. */
    const apply = (script: string) => (session ??= new NftSession(runnerOf())).run(script);
    // `-t` (terse) leaves out set elements: check() stays cheap with 100,000 bans in the sets.
    const listTable = async (): Promise<NftJson | undefined> => {
      try {
        return JSON.parse(await nft(['-t', '-j', 'list', 'table', objects.family, objects.table])) as NftJson;
      } catch (error) {
        // A missing table is an answer (check() is false); a missing binary or no permission is an error.
        if (/No such file or directory/.test((error as Error).message)) return undefined;
        throw error;
      }
    };
    // Only validated, canonical addresses and networks reach nft; anything else is logged and skipped.
    const valid = (tickets: readonly BanTicket[]) => {
      const out: BanTicket[] = [];
      for (const t of tickets) {
        const parsed = parseNetwork(t.ip);
        if (!parsed) ctx.logger.error({ ip: t.ip }, 'refusing a ticket whose address is not valid');
        else if (parsed.family === 4 ? !objects.v4 : !objects.v6) ctx.logger.warn({ ip: t.ip }, `skipping an IPv${parsed.family} address: the table family is ${objects.family}`);
        else out.push({ ...t, ip: parsed.canonical, family: parsed.family });
      }
      return out;
    };

    return {
      async start() {
        const json = await listTable();
        const plain = (json?.nftables ?? [])
          .filter((o) => o.set && setNames(objects).includes(o.set.name) && !o.set.flags?.includes('interval'))
          .map((o) => o.set!.name);
        if (plain.length) {
          const chain = json!.nftables!.some((o) => o.chain?.name === objects.chain);
          ctx.logger.info({ sets: plain }, 'recreating sets as interval sets so they can hold networks');
          await nft(['-f', '-'], upgradeScript(objects, plain, chain));
          banned.clear();
        }
        await nft(['-f', '-'], startScript(objects, ctx.jail, options));
      },

      async ban(tickets) {
        const ok = valid(tickets);
        if (!ok.length) return;
        await apply(addElements(objects, ok, Date.now(), banned));
        for (const t of ok) banned.add(t.ip);
      },

      async unban(tickets) {
        const ok = valid(tickets);
        const v4 = ok.filter((t) => t.family === 4).map((t) => t.ip);
        const v6 = ok.filter((t) => t.family === 6).map((t) => t.ip);
        if (!v4.length && !v6.length) return;
        await apply(deleteElements(objects, v4, v6));
        for (const ip of [...v4, ...v6]) banned.delete(ip);
      },

      async check() {
        const json = await listTable();
        if (!json?.nftables) return false;
        const names = new Set(json.nftables.flatMap((o) => [o.set?.name, o.chain?.name]).filter(Boolean));
        const rules = json.nftables.filter((o) => o.rule?.chain === objects.chain).length;
        return setNames(objects).every((s) => names.has(s)) && names.has(objects.chain) && rules >= ruleCount(objects);
      },

      // The sets' elements with the time they have left: what a restart reads back when the store lost its bans.
      async list() {
        const out: ListedBan[] = [];
        for (const set of setNames(objects)) {
          let json: string;
          try {
            json = await nft(['-j', 'list', 'set', objects.family, objects.table, set]);
          } catch (error) {
            if (/No such file or directory/.test((error as Error).message)) continue;
            throw error;
          }
          for (const e of listedElements(json, Date.now())) {
            out.push(e);
            banned.add(e.ip);
          }
        }
        return out;
      },

      async flush() {
        await nft(['-f', '-'], flushScript(objects));
        banned.clear();
      },

      async stop() {
        const closing = session?.close();
        session = undefined;
        await closing;
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
  },
});
