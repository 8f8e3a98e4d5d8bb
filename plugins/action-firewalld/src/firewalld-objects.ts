import { createHash } from 'node:crypto';
import type { JailInfo } from '@portcullis/core';
import type { BanTarget } from '@portcullis/core';

/** One of a jail's four ipsets: addresses or networks, IPv4 or IPv6. */
export interface JailIpset {
  readonly name: string;
  readonly type: 'hash:ip' | 'hash:net';
  readonly family: 4 | 6;
}

/** ipset (the kernel tool and firewalld's iptables backend) allows names of at most 31 characters. */
const MAX_NAME = 31;

/**
 * The jail's ipsets: `<prefix>-<jail>-4` and `-6` hold addresses (`hash:ip`), `-n4` and `-n6` networks
 * (`hash:net`). Addresses and networks live apart because firewalld refuses overlapping entries in one set, and
 * a banned address inside a banned network is an ordinary case. A jail name that is too long (or holds a `.`)
 * is shortened and made unique with a hash of the full name.
 */
export function jailIpsets(prefix: string, jail: string): JailIpset[] {
  let base = `${prefix}-${jail}`;
  if (base.length + 3 > MAX_NAME || !/^[A-Za-z0-9_-]+$/.test(jail)) {
    const hash = createHash('sha256').update(jail).digest('hex').slice(0, 6);
    base = `${prefix}-${jail.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_NAME - prefix.length - 11)}-${hash}`;
  }
  return [
    { name: `${base}-4`, type: 'hash:ip', family: 4 },
    { name: `${base}-6`, type: 'hash:ip', family: 6 },
    { name: `${base}-n4`, type: 'hash:net', family: 4 },
    { name: `${base}-n6`, type: 'hash:net', family: 6 },
  ];
}

/** The ipset of a target among the jail's four. */
export function ipsetFor(sets: readonly JailIpset[], target: BanTarget): JailIpset {
  return sets.find((s) => s.family === target.family && (s.type === 'hash:net') === target.network)!;
}

/** Arguments that create one ipset in firewalld's permanent configuration. */
export function newIpsetArgs(set: JailIpset): string[] {
  return ['--permanent', `--new-ipset=${set.name}`, `--type=${set.type}`, `--option=family=${set.family === 4 ? 'inet' : 'inet6'}`];
}

/**
 * The rich rules that block the members of the jail's ipsets, written exactly as firewalld prints them back
 * (`--list-rich-rules`), so `check` can compare text. Per port (names stay names; ranges `a:b` become firewalld's
 * `a-b`) and protocol, or one rule for all traffic when the jail has no ports.
 */
export function richRules(sets: readonly JailIpset[], jail: JailInfo, blocktype: 'drop' | 'reject'): string[] {
  const protocols = jail.protocol === 'all' ? ['tcp', 'udp'] : [jail.protocol];
  const ports = jail.ports.filter((p) => /^(?:[A-Za-z0-9][A-Za-z0-9_-]{0,31}|\d{1,5}[:-]\d{1,5})$/.test(p)).map((p) => p.replace(':', '-'));
  const rules: string[] = [];
  for (const set of sets) {
    const head = `rule family="${set.family === 4 ? 'ipv4' : 'ipv6'}" source ipset="${set.name}"`;
    if (!ports.length) rules.push(`${head} ${blocktype}`);
    for (const port of ports) for (const protocol of protocols) rules.push(`${head} port port="${port}" protocol="${protocol}" ${blocktype}`);
  }
  return rules;
}
