import { parseAddress } from '@portcullis/core';

/** One service of IANA's RDAP bootstrap file (RFC 9224): networks and the RDAP base URLs that serve them. */
interface Service {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly bits: number;
  readonly url: string;
}

/** A parsed bootstrap file (`ipv4.json` or `ipv6.json`). */
export interface Bootstrap {
  /** The base URL (ending in `/`) of the registry that holds `ip`, by the longest matching prefix. */
  baseFor(ip: string): string | undefined;
}

/**
 * Parse IANA's bootstrap file: `{ "services": [[["41.0.0.0/8", …], ["https://rdap.afrinic.net/rdap/", …]], …] }`.
 * An https URL is preferred over an http one; malformed services are skipped.
 */
export function parseBootstrap(json: unknown): Bootstrap {
  const services: Service[] = [];
  const list = (json as { services?: unknown }).services;
  for (const service of Array.isArray(list) ? list : []) {
    if (!Array.isArray(service) || !Array.isArray(service[0]) || !Array.isArray(service[1])) continue;
    const urls = (service[1] as unknown[]).filter((u): u is string => typeof u === 'string' && /^https?:\/\//.test(u));
    const url = urls.find((u) => u.startsWith('https:')) ?? urls[0];
    if (!url) continue;
    for (const prefix of service[0] as unknown[]) {
      if (typeof prefix !== 'string') continue;
      const [address, length] = prefix.split('/');
      const parsed = address ? parseAddress(address) : undefined;
      const bits = Number(length);
      if (!parsed || !Number.isInteger(bits) || bits < 0 || bits > (parsed.family === 4 ? 32 : 128)) continue;
      services.push({ family: parsed.family, bytes: parsed.bytes, bits, url: url.endsWith('/') ? url : `${url}/` });
    }
  }
  return {
    baseFor(ip) {
      const parsed = parseAddress(ip);
      if (!parsed) return undefined;
      let best: Service | undefined;
      for (const s of services) {
        if (s.family === parsed.family && (!best || s.bits > best.bits) && samePrefix(s.bytes, parsed.bytes, s.bits)) best = s;
      }
      return best?.url;
    },
  };
}

/** Do `a` and `b` agree on their first `bits` bits? */
export function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return false;
  }
  return true;
}
