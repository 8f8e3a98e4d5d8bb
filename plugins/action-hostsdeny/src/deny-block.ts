/**
 * The part of a hosts.deny file that one jail owns. Our lines live between two marker comments:
 *
 * ```
 * # portcullis:sshd begin (managed by portcullis; lines of the form "<daemons>: <address>" here are rewritten)
 * ALL: 192.0.2.1
 * ALL: [2001:db8::1]
 * # portcullis:sshd end
 * ```
 *
 * Why a block and not a trailing `# portcullis` comment per line: libwrap does not know trailing comments; it
 * splits the rest of the line at `:` (so `# portcullis:sshd` becomes an option field) — such a line only denies
 * by accident. Whole-line comments are skipped by every libwrap. Lines inside the block that are not of our
 * exact form are kept where they are; everything outside the block is left byte for byte.
 */

/** Result of {@link editBlock}: the new text and whether anything changed. */
export interface BlockEdit {
  readonly text: string;
  readonly changed: boolean;
}

/** The first marker line of `jail`'s block. */
export function beginMarker(jail: string): string {
  return `# portcullis:${jail} begin (managed by portcullis; lines of the form "<daemons>: <address>" here are rewritten)`;
}

/** The last marker line of `jail`'s block. */
export function endMarker(jail: string): string {
  return `# portcullis:${jail} end`;
}

/** The hosts.deny line for one canonical address; IPv6 in brackets as libwrap expects. */
export function denyLine(daemons: string, ip: string, family: 4 | 6): string {
  return `${daemons}: ${family === 6 ? `[${ip}]` : ip}`;
}

/**
 * The hosts.deny line for a network, in the forms hosts_access(5) documents: IPv4 as `net/mask`
 * (`198.51.100.0/255.255.255.0` — every libwrap takes it; `/24` is a Debian addition) and IPv6 as
 * `[net]/prefixlen` (`[2001:db8:1::]/64`). `address` is the network's canonical address (host bits clear).
 */
export function denyNetworkLine(daemons: string, address: string, prefix: number, family: 4 | 6): string {
  if (family === 6) return `${daemons}: [${address}]/${prefix}`;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${daemons}: ${address}/${[24, 16, 8, 0].map((shift) => (mask >>> shift) & 255).join('.')}`;
}

interface Located {
  readonly lines: string[];
  /** Index of the begin marker, -1 when absent. */
  readonly begin: number;
  /** Index of the end marker (≥ begin), meaningful when begin ≥ 0. */
  readonly end: number;
}

function locate(text: string, jail: string): Located {
  const lines = text.split('\n');
  const beginPrefix = `# portcullis:${jail} begin`;
  const end = endMarker(jail);
  const begin = lines.findIndex((l) => l === beginPrefix || l.startsWith(`${beginPrefix} `));
  if (begin < 0) return { lines, begin, end: -1 };
  let stop = lines.indexOf(end, begin + 1);
  // A lost end marker (hand edit): the block runs to the end of the file's last non-empty line.
  if (stop < 0) stop = lines.length;
  return { lines, begin, end: stop };
}

/** The lines of our exact form currently inside `jail`'s block. */
export function ownedLines(text: string, jail: string, daemons: string): Set<string> {
  const { lines, begin, end } = locate(text, jail);
  const owned = new Set<string>();
  if (begin < 0) return owned;
  const prefix = `${daemons}: `;
  for (let i = begin + 1; i < end && i < lines.length; i++)
    if (lines[i]!.startsWith(prefix)) owned.add(lines[i]!);
  return owned;
}

/**
 * Add and remove lines in `jail`'s block. `removeAll` drops every line of our form; `dropEmptyBlock` removes
 * the markers too when nothing else is left inside. Adding an existing line or removing a missing one is a no-op.
 */
export function editBlock(
  text: string,
  jail: string,
  daemons: string,
  edit: {
    add?: readonly string[];
    remove?: readonly string[];
    removeAll?: boolean;
    dropEmptyBlock?: boolean;
  },
): BlockEdit {
  const { lines, begin, end } = locate(text, jail);
  const prefix = `${daemons}: `;
  const remove = new Set(edit.remove ?? []);
  const inside: string[] = [];
  const present = new Set<string>();
  if (begin >= 0) {
    for (let i = begin + 1; i < end && i < lines.length; i++) {
      const line = lines[i]!;
      const ours = line.startsWith(prefix);
      if (ours && (edit.removeAll || remove.has(line) || present.has(line))) continue;
      if (ours) present.add(line);
      inside.push(line);
    }
  }
  for (const line of edit.add ?? []) {
    if (present.has(line)) continue;
    present.add(line);
    inside.push(line);
  }
  const block =
    inside.length === 0 && edit.dropEmptyBlock ? [] : [beginMarker(jail), ...inside, endMarker(jail)];
  let next: string;
  if (begin >= 0) {
    const before = lines.slice(0, begin);
    const rest = end < lines.length ? lines.slice(end + 1) : [];
    const after = rest.length === 0 ? [''] : rest;
    next = [...before, ...block, ...after].join('\n');
  } else if (inside.length === 0) {
    return { text, changed: false };
  } else {
    // Append after the existing content; make sure the previous last line ends with a newline.
    const base = text.length === 0 || text.endsWith('\n') ? text : `${text}\n`;
    next = `${base}${block.join('\n')}\n`;
  }
  return { text: next, changed: next !== text };
}
