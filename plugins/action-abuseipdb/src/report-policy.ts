import { type BanTicket, parseAddress } from '@portcullis/core';

/** Address ranges nobody can be reported for: private, loopback, link-local, shared, documentation, ULA. */
const UNREPORTABLE_V4: readonly [number, number][] = [
  [0x0a000000, 8], [0x7f000000, 8], [0xa9fe0000, 16], [0xac100000, 12], [0xc0a80000, 16], [0x64400000, 10], [0x00000000, 8],
];

/** True when AbuseIPDB would refuse the address (or reporting it would only leak the site's own network). */
export function unreportable(ip: string): boolean {
  const parsed = parseAddress(ip);
  if (!parsed) return true;
  const b = parsed.bytes;
  if (parsed.family === 4) {
    const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    return UNREPORTABLE_V4.some(([net, bits]) => n >>> (32 - bits) === net >>> (32 - bits));
  }
  if ((b[0]! & 0xfe) === 0xfc) return true; // fc00::/7
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return true; // fe80::/10
  return b.every((x, i) => (i === 15 ? x <= 1 : x === 0)); // :: and ::1
}

/** The comment of a report: never more than AbuseIPDB keeps (1,024 bytes), log text only when asked. */
export function reportComment(ticket: BanTicket, mode: 'none' | 'summary' | 'matches'): string {
  if (mode === 'none') return '';
  const summary = `Portcullis: banned in jail ${ticket.jail} after ${ticket.failures} failure${ticket.failures === 1 ? '' : 's'}.`;
  if (mode === 'summary') return summary;
  let text = summary;
  for (const line of ticket.matches) {
    const next = `${text}\n${line}`;
    if (Buffer.byteLength(next) > 1024) break;
    text = next;
  }
  return text;
}

/**
 * Who gets reported and when: at most one report per address per interval and `dailyLimit` per UTC day.
 * Bounded: addresses older than the interval are forgotten as the day goes on.
 */
export class ReportBudget {
  private readonly last = new Map<string, number>();
  private day = '';
  private used = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly dailyLimit: number,
  ) {}

  /** Whether `ip` may be reported at `now` (does not spend anything). */
  allows(ip: string, now: number): boolean {
    this.roll(now);
    if (this.used >= this.dailyLimit) return false;
    const at = this.last.get(ip);
    return at === undefined || now - at >= this.intervalMs;
  }

  /** Take a report from the budget, before sending it (so a batch never goes over the limit). */
  spend(ip: string, now: number): void {
    this.roll(now);
    this.used++;
    this.last.delete(ip);
    this.last.set(ip, now);
    // Insertion order is report order: drop the ones whose interval is over.
    for (const [key, at] of this.last) {
      if (now - at < this.intervalMs) break;
      this.last.delete(key);
    }
  }

  /** Give back what {@link spend} took for a report that never reached the server (it will be sent again). */
  refund(ip: string): void {
    if (this.last.delete(ip)) this.used = Math.max(0, this.used - 1);
  }

  /** Reports left today. */
  remaining(now: number): number {
    this.roll(now);
    return Math.max(0, this.dailyLimit - this.used);
  }

  private roll(now: number): void {
    const day = new Date(now).toISOString().slice(0, 10);
    if (day !== this.day) {
      this.day = day;
      this.used = 0;
    }
  }
}
