import { parseAddress } from '@portcullis/core';
import { cleanLine } from './clean-text.js';

/** What the mail says about the network of a banned address (all of it written by whoever registered it). */
export interface NetworkInfo {
  /** `198.51.100.0/24`, or `start - end` when the registry gives no CIDR. */
  readonly network: string;
  readonly name?: string | undefined;
  readonly country?: string | undefined;
  readonly abuse?: string | undefined;
  /** Range of the network, for the cache. */
  readonly family: 4 | 6;
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

interface Entity {
  roles?: unknown;
  vcardArray?: unknown;
  entities?: unknown;
}

/**
 * The fields a mail needs from an RDAP IP network object (RFC 9083 §5.4): name, country, the range (CIDR from
 * the `cidr0` extension when present) and the e-mail of the entity with the `abuse` role. Undefined when the
 * answer has no valid range. Text is cleaned as log text is: it is written by whoever registered the network.
 */
export function parseNetwork(json: unknown): NetworkInfo | undefined {
  const o = json as { startAddress?: unknown; endAddress?: unknown; name?: unknown; country?: unknown; cidr0_cidrs?: unknown; entities?: unknown };
  const start = typeof o.startAddress === 'string' ? parseAddress(o.startAddress) : undefined;
  const end = typeof o.endAddress === 'string' ? parseAddress(o.endAddress) : undefined;
  if (!start || !end || start.family !== end.family) return undefined;
  const cidr = Array.isArray(o.cidr0_cidrs) ? (o.cidr0_cidrs[0] as { v4prefix?: unknown; v6prefix?: unknown; length?: unknown } | undefined) : undefined;
  const prefix = cidr ? parseAddress(String(cidr.v4prefix ?? cidr.v6prefix ?? '')) : undefined;
  const network = prefix && Number.isInteger(cidr?.length) ? `${prefix.canonical}/${cidr!.length as number}` : `${start.canonical} - ${end.canonical}`;
  const text = (v: unknown, max: number) => (typeof v === 'string' && v.trim() ? cleanLine(v.trim(), max) : undefined);
  const country = typeof o.country === 'string' && /^[A-Za-z]{2}$/.test(o.country) ? o.country.toUpperCase() : undefined;
  return { network, name: text(o.name, 100), country, abuse: abuseMail(o.entities), family: start.family, start: start.bytes, end: end.bytes };
}

/** The e-mail of the first entity with the `abuse` role, searched breadth-first (bounded: registries nest entities). */
function abuseMail(entities: unknown): string | undefined {
  let level = Array.isArray(entities) ? (entities as Entity[]) : [];
  for (let depth = 0, seen = 0; depth < 4 && level.length && seen < 100; depth++) {
    const next: Entity[] = [];
    for (const e of level) {
      seen++;
      if (Array.isArray(e.roles) && e.roles.includes('abuse')) {
        const mail = vcardEmail(e.vcardArray);
        if (mail) return mail;
      }
      if (Array.isArray(e.entities)) next.push(...(e.entities as Entity[]).slice(0, 20));
    }
    level = next;
  }
  return undefined;
}

function vcardEmail(vcard: unknown): string | undefined {
  if (!Array.isArray(vcard) || !Array.isArray(vcard[1])) return undefined;
  for (const prop of vcard[1] as unknown[]) {
    if (Array.isArray(prop) && prop[0] === 'email' && typeof prop[3] === 'string' && /^[^\s<>@,;"]{1,64}@[^\s<>@,;"]{1,190}$/.test(prop[3])) return prop[3];
  }
  return undefined;
}

/** Is `bytes` inside the network's range? */
export function inRange(info: NetworkInfo, family: 4 | 6, bytes: Uint8Array): boolean {
  return info.family === family && compare(info.start, bytes) <= 0 && compare(bytes, info.end) <= 0;
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}
