import { type ParsedNetwork, networkOf } from '../util/ip-network.js';

/** What {@link BannedNetworks.covering} looks bans up in. */
interface BanKeys {
  has(target: string): boolean;
}

/**
 * The prefix lengths of a jail's network bans, with how many bans use each, so "is this address inside a
 * banned network?" costs one lookup per length in use (usually one or two: the IPv6 prefix, the subnet)
 * rather than a scan of every ban. Nothing is held when there are no network bans.
 */
export class BannedNetworks {
  /** `family * 256 + prefix` → number of bans. */
  private readonly lengths = new Map<number, number>();

  get size(): number {
    return this.lengths.size;
  }

  add(net: ParsedNetwork): void {
    if (net.prefix === (net.family === 4 ? 32 : 128)) return;
    const k = net.family * 256 + net.prefix;
    this.lengths.set(k, (this.lengths.get(k) ?? 0) + 1);
  }

  remove(net: ParsedNetwork): void {
    const k = net.family * 256 + net.prefix;
    const n = this.lengths.get(k);
    if (n === undefined) return;
    if (n <= 1) this.lengths.delete(k);
    else this.lengths.set(k, n - 1);
  }

  /** The banned network (shorter than `ip`'s own length) that holds `ip`, if any. */
  covering(ip: { family: 4 | 6; bytes: Uint8Array; prefix?: number }, bans: BanKeys): string | undefined {
    const own = ip.prefix ?? (ip.family === 4 ? 32 : 128);
    for (const k of this.lengths.keys()) {
      const family = k >> 8;
      const prefix = k & 255;
      if (family !== ip.family || prefix >= own) continue;
      const key = networkOf({ family: ip.family, bytes: ip.bytes, canonical: '' }, prefix).canonical;
      if (bans.has(key)) return key;
    }
    return undefined;
  }
}
