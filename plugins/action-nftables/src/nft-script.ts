import type { BanTicket, JailInfo } from '@portcullis/core';

/** Names of one jail's nftables objects inside the table. */
export interface JailObjects {
  readonly table: string;
  readonly chain: string;
  readonly set4: string;
  readonly set6: string;
}

/** Elements per `add element` statement: keeps each line short; the whole batch is still one transaction. */
const PER_STATEMENT = 2000;

/** Object names for a jail (jail names may contain `-` and `.`, which nft identifiers may not). */
export function jailObjects(table: string, jail: string): JailObjects {
  const id = `j_${jail.replace(/[^A-Za-z0-9_]/g, '_')}`;
  return { table, chain: id, set4: `${id}_v4`, set6: `${id}_v6` };
}

/** The port/protocol part of the rule: all traffic from a banned address, or only the jail's ports. */
export function portMatch(jail: JailInfo): string {
  if (jail.ports.length === 0) return jail.protocol === 'all' ? '' : `meta l4proto ${jail.protocol} `;
  const ports = jail.ports.map((p) => p.replace(':', '-')).join(', ');
  if (jail.protocol === 'all') return `meta l4proto { tcp, udp } th dport { ${ports} } `;
  return `${jail.protocol} dport { ${ports} } `;
}

/**
 * Create (idempotently) the table, both sets and the jail's chain, and (re)write its two rules. `add` of an
 * existing table/set/chain is a no-op and `flush chain` before the rules means a restart never duplicates
 * them — all in one transaction.
 */
export function startScript(o: JailObjects, jail: JailInfo, options: { priority: number; blocktype: 'drop' | 'reject' }): string {
  const match = portMatch(jail);
  const verdict = options.blocktype === 'reject' ? 'reject' : 'drop';
  return [
    `add table inet ${o.table}`,
    `add set inet ${o.table} ${o.set4} { type ipv4_addr; flags timeout; }`,
    `add set inet ${o.table} ${o.set6} { type ipv6_addr; flags timeout; }`,
    `add chain inet ${o.table} ${o.chain} { type filter hook input priority ${options.priority}; policy accept; }`,
    `flush chain inet ${o.table} ${o.chain}`,
    `add rule inet ${o.table} ${o.chain} ${match}ip saddr @${o.set4} ${verdict}`,
    `add rule inet ${o.table} ${o.chain} ${match}ip6 saddr @${o.set6} ${verdict}`,
    '',
  ].join('\n');
}

/** Remove the jail's chain and sets (the table goes separately, when empty). */
export function stopScript(o: JailObjects): string {
  return [`delete chain inet ${o.table} ${o.chain}`, `delete set inet ${o.table} ${o.set4}`, `delete set inet ${o.table} ${o.set6}`, ''].join('\n');
}

/**
 * `add element` statements for a batch. Each element carries the ban's remaining time as its timeout, so
 * the kernel lifts the ban by itself even if the daemon is gone; permanent bans have none.
 */
export function addElements(o: JailObjects, tickets: readonly BanTicket[], now: number): string {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const t of tickets) {
    const left = Number.isFinite(t.expires) ? Math.max(1, Math.ceil((t.expires - now) / 1000)) : 0;
    (t.family === 6 ? v6 : v4).push(left > 0 ? `${t.ip} timeout ${left}s` : t.ip);
  }
  return [...statements('add', o.table, o.set4, v4), ...statements('add', o.table, o.set6, v6), ''].join('\n');
}

/** `delete element` statements for a batch. */
export function deleteElements(o: JailObjects, v4: readonly string[], v6: readonly string[]): string {
  return [...statements('delete', o.table, o.set4, v4), ...statements('delete', o.table, o.set6, v6), ''].join('\n');
}

function statements(verb: 'add' | 'delete', table: string, set: string, elements: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < elements.length; i += PER_STATEMENT) {
    out.push(`${verb} element inet ${table} ${set} { ${elements.slice(i, i + PER_STATEMENT).join(', ')} }`);
  }
  return out;
}
