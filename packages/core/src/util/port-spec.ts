import { readFileSync } from 'node:fs';

/** Where service names are looked up, as nft (getaddrinfo) and iptables do with the usual nsswitch `files`. */
export const SERVICES_FILE = '/etc/services';

const cache = new Map<string, ReadonlySet<string>>();

/** Service names and aliases of a services file (any protocol: nft resolves a name for any socket type). */
function serviceNames(file: string): ReadonlySet<string> {
  const known = cache.get(file);
  if (known) return known;
  const names = new Set<string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // No services file: every name is unknown, as it is to nft and iptables.
  }
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!name || !portProto || !/^\d+\//.test(portProto)) continue;
    names.add(name);
    for (const a of aliases) names.add(a);
  }
  cache.set(file, names);
  return names;
}

/**
 * Why a jail's port entry would be refused by nftables or iptables (undefined when both accept it): a
 * number 0–65535, a range `from:to` with from below to (iptables refuses `8000:8000`, nft a reversed
 * one), or a service name from the services file, matched case-sensitively as getaddrinfo does.
 */
export function portProblem(port: string, servicesFile = SERVICES_FILE): string | undefined {
  const shown = JSON.stringify(port);
  if (/^\d+$/.test(port)) return Number(port) <= 65535 ? undefined : `${shown} is not a port: ports are 0 to 65535`;
  const range = /^(\d+):(\d+)$/.exec(port);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (from > 65535 || to > 65535) return `${shown} is not a port range: ports are 0 to 65535`;
    if (from >= to) return `${shown} is not a port range: the first port must be below the second (for one port write ${from})`;
    return undefined;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/.test(port)) return `${shown} is not a port (use 22, ssh or 8000:8100)`;
  if (!serviceNames(servicesFile).has(port)) return `${shown} is not a service name in ${servicesFile} (nftables and iptables would refuse it): use the port number`;
  return undefined;
}
