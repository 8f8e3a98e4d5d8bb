import { createHash } from 'node:crypto';
import type { BanTicket, JailInfo } from '@portcullis/core';

/** Table family: `inet` carries both IP versions, `ip`/`ip6` only one. */
export type NftFamily = 'inet' | 'ip' | 'ip6';

/** Names of one jail's nftables objects, and which IP versions its table can hold. */
export interface JailObjects {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  readonly set4: string;
  readonly set6: string;
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
  return { family, table, chain: id, set4: `${id}_v4`, set6: `${id}_v6`, v4: family !== 'ip6', v6: family !== 'ip' };
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
    // Interval sets hold networks (`2001:db8:aa:bb::/64`) as well as addresses; the engine never gives
    // one an address inside a network it holds (nft refuses overlapping intervals).
    ...(o.v4 ? [`add set ${at} ${o.set4} { type ipv4_addr; flags interval,timeout; }`] : []),
    ...(o.v6 ? [`add set ${at} ${o.set6} { type ipv6_addr; flags interval,timeout; }`] : []),
    `add chain ${at} ${o.chain} { type filter hook input priority ${options.priority}; policy accept; }`,
    `flush chain ${at} ${o.chain}`,
    ...(o.v4 ? [`add rule ${at} ${o.chain} ${match}ip saddr @${o.set4} ${verdict}`] : []),
    ...(o.v6 ? [`add rule ${at} ${o.chain} ${match}ip6 saddr @${o.set6} ${verdict}`] : []),
    '',
  ].join('\n');
}

/**
 * Statements that drop sets an earlier release created without the `interval` flag (they cannot hold
 * networks, and `add set` with other flags fails on them): the chain is flushed first, since its rules use
 * them. `start` runs them before {@link startScript}; the engine re-applies its bans after a start.
 */
export function upgradeScript(o: JailObjects, plainSets: readonly string[], chainExists: boolean): string {
  if (plainSets.length === 0) return '';
  const at = `${o.family} ${o.table}`;
  return [...(chainExists ? [`flush chain ${at} ${o.chain}`] : []), ...plainSets.map((s) => `delete set ${at} ${s}`), ''].join('\n');
}

/** Number of rules `startScript` writes (what `check()` expects to find). */
export function ruleCount(o: JailObjects): number {
  return (o.v4 ? 1 : 0) + (o.v6 ? 1 : 0);
}

/** Names of the sets the jail uses. */
export function setNames(o: JailObjects): string[] {
  return [...(o.v4 ? [o.set4] : []), ...(o.v6 ? [o.set6] : [])];
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
export function addElements(o: JailObjects, tickets: readonly BanTicket[], now: number, rebanned: ReadonlySet<string> = new Set()): string {
  const latest = new Map<string, BanTicket>();
  for (const t of tickets) latest.set(t.ip, t);
  const again: Record<4 | 6, string[]> = { 4: [], 6: [] };
  const timed: Record<4 | 6, string[]> = { 4: [], 6: [] };
  for (const t of latest.values()) {
    const family = t.family === 6 ? 6 : 4;
    const left = Number.isFinite(t.expires) ? Math.max(1, Math.ceil((t.expires - now) / 1000)) : 0;
    if (rebanned.has(t.ip)) again[family].push(t.ip);
    timed[family].push(left > 0 ? `${t.ip} timeout ${nftTime(left)}` : t.ip);
  }
  return [
    ...statements('add', o, o.set4, again[4]),
    ...statements('add', o, o.set6, again[6]),
    ...statements('delete', o, o.set4, again[4]),
    ...statements('delete', o, o.set6, again[6]),
    ...statements('add', o, o.set4, timed[4]),
    ...statements('add', o, o.set6, timed[6]),
    '',
  ].join('\n');
}

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
  const u4 = [...new Set(v4)];
  const u6 = [...new Set(v6)];
  return [
    ...statements('add', o, o.set4, u4),
    ...statements('add', o, o.set6, u6),
    ...statements('delete', o, o.set4, u4),
    ...statements('delete', o, o.set6, u6),
    '',
  ].join('\n');
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
  nftables?: { set?: { elem?: (string | { elem?: { val?: unknown; expires?: unknown } })[] } }[];
}

/**
 * The bans a set holds, from `nft -j list set …`: an element without a timeout is permanent. Values are
 * returned as nft prints them; the engine checks each is a canonical address before it trusts it.
 */
export function listedElements(json: string, now: number): { ip: string; expires: number }[] {
  const out: { ip: string; expires: number }[] = [];
  for (const o of (JSON.parse(json) as NftSetJson).nftables ?? []) {
    for (const e of o.set?.elem ?? []) {
      const raw = typeof e === 'string' ? e : e.elem?.val;
      // Interval sets give a network as { prefix: { addr, len } }.
      const prefix = typeof raw === 'object' && raw !== null ? (raw as { prefix?: { addr?: unknown; len?: unknown } }).prefix : undefined;
      const val = typeof raw === 'string' ? raw : prefix && typeof prefix.addr === 'string' && typeof prefix.len === 'number' ? `${prefix.addr}/${prefix.len}` : undefined;
      if (val === undefined) continue;
      const left = typeof e === 'string' ? undefined : e.elem?.expires;
      out.push({ ip: val, expires: typeof left === 'number' ? now + left * 1000 : Number.POSITIVE_INFINITY });
    }
  }
  return out;
}
