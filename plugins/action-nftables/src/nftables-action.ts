import { type BanTicket, type ListedBan, defineAction, findProgram, parseNetwork } from '@portcullis/core';
import { type Target, addElements, deleteElements, flushScript, hasWrongFlags, jailObjects, listedElements, ruleCount, setNames, startScript, stopScript, upgradeScript } from './nft-script.js';
import { type NftablesOptions, nftablesOptions } from './options.js';
import { NftSession } from './nft-session.js';
import { type NftRunner, runNft } from './run-nft.js';

interface NftJson {
  nftables?: { set?: { name: string; flags?: string[] }; chain?: { name: string }; rule?: { chain: string } }[];
}

/** Batches up to this size (about 400 elements) go to the long-lived process; larger ones to `nft -f -`. */
const SESSION_MAX_SCRIPT = 16 * 1024;

/**
 * The nftables action: per jail and IP version a hash set of addresses and an interval set of networks,
 * with kernel timeouts, and a chain on the input hook dropping (or rejecting) their members, for the
 * jail's ports or all traffic. Every batch of bans or unbans is one transaction: small ones written to one
 * long-lived `nft -i` process ({@link NftSession}) once it is ready, large ones with `nft -f -`; setting
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
    /**
     * A ban or unban batch, as one transaction. Small batches (the steady state: a few bans at a time) go to
     * the long-lived `nft -i` once it is ready, which saves a process start per batch; large ones (a flood,
     * a restore) go to `nft -f -`, whose parser takes thousands of elements several times faster than the
     * interactive one, and so does every batch while the long-lived process is starting.
     */
    const apply = async (script: string) => {
      if (script.length <= SESSION_MAX_SCRIPT) {
        const s = (session ??= new NftSession(runnerOf()));
        if (s.ready) return s.run(script);
        s.warmUp();
      }
      await nft(['-f', '-'], script);
    };
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

    /**
     * A set's elements with the time they have left (none when the set is missing). What the kernel holds
     * is re-validated: only addresses and networks of the set's IP version come back, in canonical form.
     */
    const readSet = async (set: string): Promise<Target[]> => {
      let json: string;
      try {
        json = await nft(['-j', 'list', 'set', objects.family, objects.table, set]);
      } catch (error) {
        if (/No such file or directory/.test((error as Error).message)) return [];
        throw error;
      }
      const family = set === objects.set6 || set === objects.net6 ? 6 : 4;
      const out: Target[] = [];
      for (const e of listedElements(json, Date.now())) {
        const parsed = parseNetwork(e.ip);
        if (parsed?.family === family) out.push({ ip: parsed.canonical, family, expires: e.expires });
        else ctx.logger.warn({ set, element: e.ip }, 'ignoring a set element that is not a canonical address or network');
      }
      return out;
    };

    return {
      async start() {
        const json = await listTable();
        const wrong = (json?.nftables ?? [])
          .filter((o) => o.set && setNames(objects).includes(o.set.name) && hasWrongFlags(objects, o.set.name, o.set.flags))
          .map((o) => o.set!.name);
        if (!wrong.length) {
          await nft(['-f', '-'], startScript(objects, ctx.jail, options));
          return;
        }
        // Sets of an earlier layout (one interval set per IP version, named like today's address sets):
        // their elements are read, and the sets dropped, recreated and refilled (each element in the set
        // it belongs in, with the time it has left) in one transaction, so no ban is lifted meanwhile.
        const carried: Target[] = [];
        for (const set of wrong) carried.push(...(await readSet(set)));
        const chain = json!.nftables!.some((o) => o.chain?.name === objects.chain);
        ctx.logger.info({ sets: wrong, elements: carried.length }, 'recreating sets: addresses in hash sets, networks in interval sets');
        const now = Date.now();
        await nft(['-f', '-'], upgradeScript(objects, wrong, chain) + startScript(objects, ctx.jail, options) + addElements(objects, carried, now));
        banned.clear();
        for (const t of carried) banned.add(t.ip);
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
          for (const e of await readSet(set)) {
            out.push({ ip: e.ip, expires: e.expires });
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
