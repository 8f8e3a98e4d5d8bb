import type { JailInfo } from '@portcullis/core';

/** ufw's multiport limit: 15 ports, a range counting as two. */
const MAX_PORT_SLOTS = 15;

/**
 * What follows `from <address>` in the jail's rules: `to any port P proto T` per port group and protocol, or
 * nothing (all traffic) when the jail has no ports. Numeric ports and ranges share one multiport rule (up to
 * ufw's 15 slots); a service name gets a rule of its own, as ufw resolves names only for a single port.
 */
export function portClauses(jail: JailInfo): string[][] {
  if (!jail.ports.length) return [[]];
  const protocols = jail.protocol === 'all' ? ['tcp', 'udp'] : [jail.protocol];
  const groups: string[] = [];
  let numeric: string[] = [];
  let slots = 0;
  for (const port of jail.ports) {
    if (/^\d{1,5}$/.test(port) || /^\d{1,5}[:-]\d{1,5}$/.test(port)) {
      const cost = /\d[:-]\d/.test(port) ? 2 : 1;
      if (slots + cost > MAX_PORT_SLOTS) {
        groups.push(numeric.join(','));
        numeric = [];
        slots = 0;
      }
      numeric.push(port.replace('-', ':'));
      slots += cost;
    } else if (/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(port)) {
      groups.push(port);
    }
  }
  if (numeric.length) groups.push(numeric.join(','));
  return groups.flatMap((g) => protocols.map((p) => ['to', 'any', 'port', g, 'proto', p]));
}

/** One of our rules as `ufw status numbered` lists it. */
export interface ListedRule {
  readonly number: number;
  /** The `From` column: an address or a network. */
  readonly from: string;
  /** The jail named in the comment `portcullis:<jail>`. */
  readonly jail: string;
}

/** Is ufw enabled? (`Status: active` on the first line of `ufw status`.) */
export function isActive(status: string): boolean {
  return /^Status: active$/m.test(status);
}

/**
 * Our rules in `ufw status numbered` output: the lines whose comment is `portcullis:<jail>`. Columns are
 * separated by two or more spaces: `[ 3] 22/tcp   REJECT IN   192.0.2.1   # portcullis:sshd`.
 */
export function listedRules(status: string): ListedRule[] {
  const out: ListedRule[] = [];
  for (const line of status.split('\n')) {
    const m = /^\[\s*(\d+)\]\s+(.*?)\s+# portcullis:([A-Za-z0-9_.-]+)\s*$/.exec(line);
    if (!m) continue;
    const columns = m[2]!.split(/\s{2,}/);
    const from = columns[columns.length - 1]!.replace(/ \(v6\)$/, '');
    out.push({ number: Number(m[1]), from, jail: m[3]! });
  }
  return out;
}
