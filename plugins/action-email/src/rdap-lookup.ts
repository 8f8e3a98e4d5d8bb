import { parseAddress } from '@portcullis/core';
import { type Bootstrap, parseBootstrap } from './rdap-bootstrap.js';
import { type RdapTransport, getJson } from './rdap-fetch.js';
import { type NetworkInfo, inRange, parseNetwork } from './rdap-network.js';

/** Where and how to look networks up. */
export interface RdapSettings extends RdapTransport {
  /** Folder of IANA's bootstrap files (`ipv4.json`, `ipv6.json`). */
  readonly bootstrapUrl: string;
  /** One RDAP server for every address instead of the bootstrap (a mirror, a test server). */
  readonly baseUrl?: string | undefined;
  /** How long a network's answer (and a bootstrap file) is reused. */
  readonly ttlMs: number;
}

/** At most this many lookups per message, and this many networks remembered. */
const MAX_LOOKUPS = 20;
const MAX_CACHED = 1000;
/** A failed lookup is not retried for this long (or the TTL when shorter): a dead server costs one timeout. */
const FAILURE_TTL = 5 * 60_000;

/**
 * RDAP lookups for ban mails (the WHOIS section of fail2ban's `action_mwl`, over HTTPS): the registry from IANA's
 * bootstrap (or one configured server), then `ip/<address>`. Answers are cached per network with a TTL, so a
 * second address of a known network costs nothing. `lookup` never takes longer than the timeout: what has not
 * answered by then is left out of the mail.
 */
export class RdapLookup {
  private readonly networks: { info: NetworkInfo; expires: number }[] = [];
  private readonly failed = new Map<string, number>();
  private readonly bootstraps = new Map<4 | 6, { bootstrap: Promise<Bootstrap>; expires: number }>();

  constructor(
    private readonly settings: RdapSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Network facts for each address that answered in time (at most 20 lookups per call). */
  async lookup(ips: readonly string[]): Promise<Map<string, NetworkInfo>> {
    const found = new Map<string, NetworkInfo>();
    const todo: string[] = [];
    for (const ip of new Set(ips)) {
      const cached = this.cached(ip);
      if (cached) found.set(ip, cached);
      else if ((this.failed.get(ip) ?? 0) <= this.now() && todo.length < MAX_LOOKUPS) todo.push(ip);
    }
    if (!todo.length) return found;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.settings.timeoutMs)));
    const one = async (ip: string) => {
      try {
        // Another address of this call may have brought the network in meanwhile.
        const info = this.cached(ip) ?? (await this.fetchNetwork(ip, abort.signal));
        found.set(ip, info);
      } catch {
        this.failed.set(ip, this.now() + Math.min(FAILURE_TTL, this.settings.ttlMs));
        if (this.failed.size > MAX_CACHED) this.failed.delete(this.failed.keys().next().value!);
      }
    };
    await Promise.race([Promise.all(todo.map(one)), deadline]);
    clearTimeout(timer);
    abort.abort();
    return new Map(found);
  }

  private cached(ip: string): NetworkInfo | undefined {
    const parsed = parseAddress(ip);
    if (!parsed) return undefined;
    const now = this.now();
    return this.networks.find((n) => n.expires > now && inRange(n.info, parsed.family, parsed.bytes))?.info;
  }

  private async fetchNetwork(ip: string, signal: AbortSignal): Promise<NetworkInfo> {
    const parsed = parseAddress(ip);
    if (!parsed) throw new Error(`not an address: ${ip}`);
    const base = this.settings.baseUrl ?? (await this.bootstrap(parsed.family, signal)).baseFor(ip);
    if (!base) throw new Error(`RDAP: no registry for ${ip} in the bootstrap file`);
    const info = parseNetwork(await getJson(`${base.endsWith('/') ? base : `${base}/`}ip/${parsed.canonical}`, this.settings, signal));
    if (!info || !inRange(info, parsed.family, parsed.bytes)) throw new Error(`RDAP: no network for ${ip}`);
    const now = this.now();
    for (let i = this.networks.length - 1; i >= 0; i--) if (this.networks[i]!.expires <= now) this.networks.splice(i, 1);
    this.networks.push({ info, expires: now + this.settings.ttlMs });
    if (this.networks.length > MAX_CACHED) this.networks.shift();
    return info;
  }

  private bootstrap(family: 4 | 6, signal: AbortSignal): Promise<Bootstrap> {
    const held = this.bootstraps.get(family);
    if (held && held.expires > this.now()) return held.bootstrap;
    const url = `${this.settings.bootstrapUrl.replace(/\/?$/, '/')}ipv${family}.json`;
    const bootstrap = getJson(url, this.settings, signal).then(parseBootstrap);
    this.bootstraps.set(family, { bootstrap, expires: this.now() + this.settings.ttlMs });
    // A failed download is not kept: the next mail tries again.
    bootstrap.catch(() => this.bootstraps.delete(family));
    return bootstrap;
  }
}
