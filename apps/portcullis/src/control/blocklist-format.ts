import type { BanInfo } from '@portcullis/core/engine';

/** Formats `portcullis banned --format` exports current bans in. */
export type BlockListFormat = 'plain' | 'json' | 'nft';

/** Table and sets of the nft export: its own table, so loading it never touches the daemon's rules. */
const NFT_TABLE = 'portcullis_blocklist';

/**
 * Current bans as a block list: `plain` (one address or CIDR network per line, the input of
 * `ban --from-file`), `json` (the ban objects), or `nft` (a script for `nft -f` that defines the table
 * `inet portcullis_blocklist` with sets `banned_v4` and `banned_v6` holding them; loading it again
 * replaces the elements). Addresses come from the daemon already canonical.
 */
export function formatBlockList(bans: readonly BanInfo[], format: BlockListFormat): string {
  if (format === 'json') return `${JSON.stringify(bans, null, 2)}\n`;
  const targets = [...new Set(bans.map((b) => (b.prefixlen === undefined || b.ip.includes('/') ? b.ip : `${b.ip}/${b.prefixlen}`)))];
  if (format === 'plain') return targets.map((t) => `${t}\n`).join('');
  const v4 = targets.filter((t) => !t.includes(':'));
  const v6 = targets.filter((t) => t.includes(':'));
  const set = (name: string, type: string, elements: string[]) =>
    [`  set ${name} {`, `    type ${type}`, '    flags interval', '    auto-merge', ...(elements.length ? [`    elements = { ${elements.join(',\n      ')} }`] : []), '  }'].join('\n');
  return [
    `# ${targets.length} ban(s) exported by portcullis; load with: nft -f FILE`,
    `table inet ${NFT_TABLE} {}`,
    `flush table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    set('banned_v4', 'ipv4_addr', v4),
    set('banned_v6', 'ipv6_addr', v6),
    '}',
    '',
  ].join('\n');
}
