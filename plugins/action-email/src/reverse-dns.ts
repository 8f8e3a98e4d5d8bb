import { Resolver } from 'node:dns/promises';
import { cleanHostname } from './clean-text.js';

/** At most this many lookups per message: a digest of thousands of bans must not stall on DNS. */
const MAX_LOOKUPS = 100;
const PARALLEL = 10;

/**
 * PTR names of `ips` (first name each, cleaned), with a hard per-lookup timeout; failures and timeouts just
 * leave the address without a name.
 */
export async function reverseNames(ips: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  const queue = [...new Set(ips)].slice(0, MAX_LOOKUPS);
  const lookup = async (ip: string) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), timeoutMs)));
    try {
      const found = await Promise.race([resolver.reverse(ip).catch(() => [] as string[]), timeout]);
      const name = found[0] === undefined ? undefined : cleanHostname(found[0]);
      if (name) names.set(ip, name);
    } finally {
      clearTimeout(timer);
    }
  };
  const worker = async () => {
    for (let ip = queue.shift(); ip !== undefined; ip = queue.shift()) await lookup(ip);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  resolver.cancel();
  return names;
}
