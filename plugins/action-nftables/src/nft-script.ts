import { createHash } from 'node:crypto';
import type { BanTicket, JailInfo } from '@portcullis/core';

/** Table family: `inet` carries both IP versions, `ip`/`ip6` only one. */
export type NftFamily = 'inet' | 'ip' | 'ip6';

/**
 * Names of one jail's nftables objects, and which IP versions its table can hold. Single addresses and
 * networks live in separate sets: deleting an element from an interval set costs nft's userspace time in
 * proportion to the set's size, so a batch unban of 5,000 addresses took 16.6 s from an interval set and
 * 61 ms from a hash set. Networks, few, keep the interval sets they need.
 */
export interface JailObjects {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  /** Hash sets (`flags timeout`) of single addresses; the names earlier releases gave their only sets. */
  readonly set4: string;
  readonly set6: string;
  /** Interval sets (`flags interval,timeout`) of networks. */
  readonly net4: string;
  readonly net6: string;
  readonly v4: boolean;
  readonly v6: boolean;
}

/** Elements per `add element` statement: keeps each line short; the whole batch is still one transaction. */
const PER_STATEMENT = 2000;

/**
 * Object names for a jail. The `j_` prefix keeps a jail called e.g. `ip` or `filter` from colliding with
 * an nft keyword; characters nft identifiers may not carry (`-`, `.`) become `_`, and when that changed
 * the name a short hash of the real name is appended, so `a.b` and `a_b` never share a set.
 */
export function jailObjects(family: NftFamily, table: string, jail: string): JailObjects {
  const safe = jail.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  const id = safe === jail ? `j_${jail}` : `j_${safe}_${createHash('sha256').update(jail).digest('hex').slice(0, 6)}`;
  return { family, table, chain: id, set4: `${id}_v4`, set6: `${id}_v6`, net4: `${id}_net4`, net6: `${id}_net6`, v4: family !== 'ip6', v6: family !== 'ip' };
}

/** The set a canonical target belongs in: a network (`a/len`) in an interval set, an address in a hash set. */
export function setFor(o: JailObjects, ip: string, family: 4 | 6): string {
  if (ip.includes('/')) return family === 6 ? o.net6 : o.net4;
  return family === 6 ? o.set6 : o.set4;
}

/** Whether `set` is one of the jail's network (interval) sets. */
export function isNetworkSet(o: JailObjects, set: string): boolean {
  return set === o.net4 || set === o.net6;
}

/** A port number, a service name from /etc/services, or a `from:to` range. */
const PORT = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}(?::\d{1,5})?$/;

/** The port/protocol part of the rule: all traffic from a banned address, or only the jail's ports. */
export function portMatch(jail: JailInfo): string {
  // The engine validates ports at config load; they are still checked here since they go into an nft script.
  for (const p of jail.ports) if (!PORT.test(p)) throw new Error(`jail ${jail.name}: invalid port "${p}" (use 22, ssh or 8000:8100)`);
  if (jail.ports.length === 0) return jail.protocol === 'all' ? '' : `meta l4proto ${jail.protocol} `;
  const ports = jail.ports.map((p) => p.replace(':', '-')).join(', ');
  if (jail.protocol === 'all') return `meta l4proto { tcp, udp } th dport { ${ports} } `;
  return `${jail.protocol} dport { ${ports} } `;
}

/**
 * Create (idempotently) the table, the sets and the jail's chain, and (re)write its rules. `add` of an
 * existing table/set/chain is a no-op and `flush chain` before the rules means a restart never duplicates
 * them — all in one transaction.
 */
export function startScript(o: JailObjects, jail: JailInfo, options: { priority: number; blocktype: 'drop' | 'reject' }): string {
  const match = portMatch(jail);
  const verdict = options.blocktype === 'reject' ? 'reject' : 'drop';
  const at = `${o.family} ${o.table}`;
  return [
    `add table ${at}`,
    // Addresses in hash sets; networks (`2001:db8:aa:bb::/64`) in interval sets, whose element deletes
    // are slow in nft but which hold few. The engine never gives a network set two overlapping networks
    // (nft refuses overlapping intervals); an address inside a banned network is harmless in the other set.
    ...(o.v4 ? [`add set ${at} ${o.set4} { type ipv4_addr; flags timeout; }`] : []),
    ...(o.v6 ? [`add set ${at} ${o.set6} { type ipv6_addr; flags timeout; }`] : []),
    ...(o.v4 ? [`add set ${at} ${o.net4} { type ipv4_addr; flags interval,timeout; }`] : []),
    ...(o.v6 ? [`add set ${at} ${o.net6} { type ipv6_addr; flags interval,timeout; }`] : []),
    `add chain ${at} ${o.chain} { type filter hook input priority ${options.priority}; policy accept; }`,
    `flush chain ${at} ${o.chain}`,
    ...(o.v4 ? [`add rule ${at} ${o.chain} ${match}ip saddr @${o.set4} ${verdict}`] : []),
    ...(o.v6 ? [`add rule ${at} ${o.chain} ${match}ip6 saddr @${o.set6} ${verdict}`] : []),
    ...(o.v4 ? [`add rule ${at} ${o.chain} ${match}ip saddr @${o.net4} ${verdict}`] : []),
    ...(o.v6 ? [`add rule ${at} ${o.chain} ${match}ip6 saddr @${o.net6} ${verdict}`] : []),
    '',
  ].join('\n');
}

/**
 * Whether an existing set has the wrong flags for its name: an address set with `interval` (the single
 * interval sets of earlier releases, named like today's address sets) or a network set without it.
 * `add set` with other flags fails on such a set, so `start` recreates it.
 */
export function hasWrongFlags(o: JailObjects, set: string, flags: readonly string[] | undefined): boolean {
  return isNetworkSet(o, set) !== (flags?.includes('interval') ?? false);
}

/**
 * Statements that drop sets with the wrong flags ({@link hasWrongFlags}): the chain is flushed first,
 * since its rules use them. `start` runs them in one transaction with {@link startScript} and the
 * re-adding of the elements they held ({@link addElements}, each to the set it now belongs in).
 */
export function upgradeScript(o: JailObjects, wrongSets: readonly string[], chainExists: boolean): string {
  if (wrongSets.length === 0) return '';
  const at = `${o.family} ${o.table}`;
  return [...(chainExists ? [`flush chain ${at} ${o.chain}`] : []), ...wrongSets.map((s) => `delete set ${at} ${s}`), ''].join('\n');
}

/** Number of rules `startScript` writes (what `check()` expects to find). */
export function ruleCount(o: JailObjects): number {
  return setNames(o).length;
}

/** Names of the sets the jail uses: address sets first, then network sets. */
export function setNames(o: JailObjects): string[] {
  return [...(o.v4 ? [o.set4] : []), ...(o.v6 ? [o.set6] : []), ...(o.v4 ? [o.net4] : []), ...(o.v6 ? [o.net6] : [])];
}

/** Remove the jail's chain and sets (the table goes separately, when empty). */
export function stopScript(o: JailObjects): string {
  const at = `${o.family} ${o.table}`;
  return [`delete chain ${at} ${o.chain}`, ...setNames(o).map((s) => `delete set ${at} ${s}`), ''].join('\n');
}

/** Empty the jail's sets. */
export function flushScript(o: JailObjects): string {
  return [...setNames(o).map((s) => `flush set ${o.family} ${o.table} ${s}`), ''].join('\n');
}

/**
 * The statements that ban a batch, as one transaction. Each element carries the ban's remaining time as
 * its timeout, so the kernel lifts the ban by itself even if the daemon is gone; permanent bans have none.
 *
 * Re-adding an existing element is a no-op on older kernels (Debian 12's 6.1 keeps the old timeout) and an
 * update on newer ones. For addresses in `rebanned` (already in the set, as far as the caller knows) the
 * element is first re-created: `add` (a no-op when present), `delete`, then `add` with the new timeout, so
 * a prolonged or made-permanent ban is the same on every kernel. Only those pay for it: a transaction
 * that deletes costs ~15 ms in the kernel (an RCU grace period), a pure `add` ~2.5 ms.
 */
export function addElements(o: JailObjects, tickets: readonly Target[], now: number, rebanned: ReadonlySet<string> = new Set()): string {
  const latest = new Map<string, Target>();
  for (const t of tickets) latest.set(t.ip, t);
  const again = bySet(o);
  const timed = bySet(o);
  for (const t of latest.values()) {
    const set = setFor(o, t.ip, t.family === 6 ? 6 : 4);
    const left = Number.isFinite(t.expires) ? Math.max(1, Math.ceil((t.expires - now) / 1000)) : 0;
    if (rebanned.has(t.ip)) again.get(set)?.push(t.ip);
    timed.get(set)?.push(left > 0 ? `${t.ip} timeout ${nftTime(left)}` : t.ip);
  }
  return [...statementsBySet('add', o, again), ...statementsBySet('delete', o, again), ...statementsBySet('add', o, timed), ''].join('\n');
}

/** What a ban needs to be written: the canonical target, its IP version, and when it ends (ms; Infinity: never). */
export type Target = Pick<BanTicket, 'ip' | 'family' | 'expires'>;

/**
 * Seconds as nft writes a time (`3650d`, `1d2h3m4s`). nft refuses a single number above 99,999,999 in a
 * time (`timeout 315360000s` is "value too large"), so bans longer than ~3 years must be split into days;
 * the kernel itself holds up to ~584 years, more than the 100 years the engine allows.
 */
export function nftTime(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}

/**
 * The statements that unban a batch, as one transaction. nft 1.0.6 (Debian 12) has no `destroy element`,
 * and one unknown element fails a whole `delete` transaction; adding the elements first (a no-op for those
 * present) makes every delete succeed, so unbanning an expired or unknown address is not an error.
 */
export function deleteElements(o: JailObjects, v4: readonly string[], v6: readonly string[]): string {
  const targets = bySet(o);
  for (const [family, list] of [[4, v4], [6, v6]] as const) {
    for (const ip of new Set(list)) targets.get(setFor(o, ip, family))?.push(ip);
  }
  return [...statementsBySet('add', o, targets), ...statementsBySet('delete', o, targets), ''].join('\n');
}

/** An empty element list per set of the jail, in {@link setNames} order (so scripts are deterministic). */
function bySet(o: JailObjects): Map<string, string[]> {
  return new Map(setNames(o).map((s) => [s, []]));
}

function statementsBySet(verb: 'add' | 'delete', o: JailObjects, elements: ReadonlyMap<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const [set, list] of elements) out.push(...statements(verb, o, set, list));
  return out;
}

function statements(verb: 'add' | 'delete', o: JailObjects, set: string, elements: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < elements.length; i += PER_STATEMENT) {
    out.push(`${verb} element ${o.family} ${o.table} ${set} { ${elements.slice(i, i + PER_STATEMENT).join(', ')} }`);
  }
  return out;
}

/** What `nft -j list set` prints: each element a bare value, or an object with its timeout and time left (s). */
interface NftSetJson {
  nftables?: { set?: { elem?: (string | { elem?: { val?: unknown; expires?: unknown }; prefix?: unknown })[] } }[];
}

/**
 * The bans a set holds, from `nft -j list set …`: an element without a timeout is permanent. Values are
 * returned as nft prints them; the engine checks each is a canonical address before it trusts it.
 */
export function listedElements(json: string, now: number): { ip: string; expires: number }[] {
  const out: { ip: string; expires: number }[] = [];
  for (const o of (JSON.parse(json) as NftSetJson).nftables ?? []) {
    for (const e of o.set?.elem ?? []) {
      // Interval sets give a network as { prefix: { addr, len } }: inside `elem` when it has a timeout,
      // bare when it has none (a permanent network ban).
      const raw = typeof e === 'string' ? e : e.elem ? e.elem.val : e;
      const prefix = typeof raw === 'object' && raw !== null ? (raw as { prefix?: { addr?: unknown; len?: unknown } }).prefix : undefined;
      const val = typeof raw === 'string' ? raw : prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number' ? `${prefix.addr}/${prefix.len}` : undefined;
      if (val === undefined) continue;
      const left = typeof e === 'string' ? undefined : e.elem?.expires;
      out.push({ ip: val, expires: typeof left === 'number' ? now + left * 1000 : Number.POSITIVE_INFINITY });
    }
  }
  return out;
}
