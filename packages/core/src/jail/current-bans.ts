import type { BanTicket } from '../contract/ban-ticket.js';
import { HostList } from './host-list.js';
import { OrderedHostMap } from './ordered-host-map.js';

const REASONS = [undefined, 'failures', 'manual', 'restore', 'subnet', 'campaign'] as const;
const NO_LINES: readonly string[] = Object.freeze([]);

/**
 * The bans a jail holds while they last, as the runtime needs them: address, times, length, counts,
 * family and reason — not the matched lines (those went to the store and to the actions with the ticket
 * of the new ban). The addresses are the keys of an {@link OrderedHostMap} (an IPv4 address is its 32-bit
 * value, no string kept), whose value is the ban's expiry and whose entry number is the ban's slot in typed
 * arrays of the rest: a ban costs ~50 bytes and no object the garbage collector has to trace (a `Map` of
 * address strings was ~110). A {@link BanTicket} is built when one is asked for (status, unban, action check).
 */
export class CurrentBans {
  private readonly index = new OrderedHostMap((order, capacity) => this.moveSlots(order, capacity));
  private time = new Float64Array(0);
  private bantime = new Float64Array(0);
  private failures = new Uint32Array(0);
  private banCount = new Uint32Array(0);
  private family = new Uint8Array(0);
  private reason = new Uint8Array(0);
  /** Prefix length of a network ban; 0 for a single address. */
  private prefix = new Uint8Array(0);
  /** Fleet mode: the node that recorded a ban another node made (few; absent for this node's own). */
  private readonly origins = new Map<string, string>();
  private changeCount = 0;

  constructor(private readonly jail: string) {
    this.resize(this.index.capacity);
  }

  get size(): number {
    return this.index.size;
  }

  /** Grows with every ban kept, replaced or lifted: tickets built at one count are current while it stays. */
  get changes(): number {
    return this.changeCount;
  }

  has(ip: string): boolean {
    return this.index.has(ip);
  }

  /** When the ban of `ip` ends (`Infinity`: never), or undefined when it is not banned. */
  expires(ip: string): number | undefined {
    return this.index.get(ip);
  }

  /**
   * Keep a ban (replacing the one of the same address); returns its slot, valid while {@link changes} stays.
   * An expiry that is not a number is kept as `Infinity` (the map marks free entries with NaN); such a
   * ban was never scheduled to end either.
   */
  set(t: BanTicket): number {
    this.changeCount++;
    const slot = this.index.set(t.ip, Number.isNaN(t.expires) ? Number.POSITIVE_INFINITY : t.expires);
    this.time[slot] = t.time;
    this.bantime[slot] = t.bantime;
    this.failures[slot] = t.failures;
    this.banCount[slot] = t.banCount;
    this.family[slot] = t.family;
    this.reason[slot] = Math.max(0, REASONS.indexOf(t.reason));
    this.prefix[slot] = t.prefix ?? 0;
    if (t.origin !== undefined) this.origins.set(t.ip, t.origin);
    else if (this.origins.size) this.origins.delete(t.ip);
    return slot;
  }

  /** The ban of `ip` as a ticket without matched lines (with `reason` when given), or undefined. */
  get(ip: string, reason?: BanTicket['reason']): BanTicket | undefined {
    const slot = this.index.find(ip);
    return slot === -1 ? undefined : this.ticket(ip, slot, reason);
  }

  /** The banned addresses, in the order they were first banned. */
  ips(): string[] {
    const out: string[] = [];
    for (let e = this.index.first(); e !== -1; e = this.index.next(e)) out.push(this.index.keyAt(e));
    return out;
  }

  delete(ip: string): boolean {
    const slot = this.index.find(ip);
    if (slot === -1) return false;
    this.changeCount++;
    this.index.deleteAt(slot);
    if (this.origins.size) this.origins.delete(ip);
    // After a flood of bans has been lifted, give the memory back (the bans left keep their order, renumbered).
    this.index.compact();
    return true;
  }

  /** Every ban as a ticket without matched lines, in the order they were first made. */
  all(): BanTicket[] {
    const out: BanTicket[] = [];
    for (let e = this.index.first(); e !== -1; e = this.index.next(e)) out.push(this.ticket(this.index.keyAt(e), e));
    return out;
  }

  /**
   * Every ban as a ticket, built one at a time as the caller asks (an answer listing a million bans never
   * holds them all): bans made meanwhile may be visited, bans lifted meanwhile are skipped.
   */
  *tickets(): Generator<BanTicket> {
    // A cursor, not an entry number: bans set or lifted while the caller holds a ticket may renumber them all.
    const cursor = this.index.cursor();
    try {
      for (let e = this.index.advance(cursor); e !== -1; e = this.index.advance(cursor))
        yield this.shortLived(this.index.keyAt(e), e);
    } finally {
      this.index.release(cursor);
    }
  }

  /**
   * The ban of `ip` as a short-lived ticket with reason `restore` (a restore batch builds one per read), or
   * undefined. `slot`, what {@link set} returned for it while {@link changes} has not moved since, saves
   * looking the address up.
   */
  restoreTicket(ip: string, slot = this.index.find(ip)): BanTicket | undefined {
    return slot === -1 ? undefined : this.shortLived(ip, slot, 'restore');
  }

  /** Remove the ban of `ip` and return it as a ticket (undefined when there is none). */
  take(ip: string): BanTicket | undefined {
    const slot = this.index.find(ip);
    if (slot === -1) return undefined;
    const ticket = this.shortLived(ip, slot);
    this.delete(ip);
    return ticket;
  }

  /** The banned addresses, in the order they were first banned, as a list that holds IPv4 ones as numbers. */
  hostList(): HostList {
    const out = new HostList();
    for (let e = this.index.first(); e !== -1; e = this.index.next(e)) out.push(this.index.keyAt(e));
    return out;
  }

  /**
   * Optional fields without a value are left out rather than set to undefined (the same to every reader,
   * JSON included): a restart hands a million of these to the actions at once, and three fewer fields are
   * 24 MB fewer.
   */
  private ticket(ip: string, slot: number, reason?: BanTicket['reason']): BanTicket {
    const t: { -readonly [K in keyof BanTicket]: BanTicket[K] } = {
      ip,
      family: this.family[slot] === 6 ? 6 : 4,
      jail: this.jail,
      time: this.time[slot]!,
      bantime: this.bantime[slot]!,
      expires: this.index.valueAt(slot),
      failures: this.failures[slot]!,
      banCount: this.banCount[slot]!,
      matches: NO_LINES,
      reason: reason ?? REASONS[this.reason[slot]!],
    };
    if (this.prefix[slot]) t.prefix = this.prefix[slot];
    const origin = this.origins.size ? this.origins.get(ip) : undefined;
    if (origin !== undefined) t.origin = origin;
    return t;
  }

  /**
   * The same ticket as {@link ticket}, built at another allocation site. V8 decides per site whether new
   * objects start in the old generation ("pretenuring"): tickets from `ticket()` live long (a restart hands a
   * million of them to the actions at once), so V8 learns to pretenure them. Tickets of a listing or a bulk
   * unban die within a batch; built there, they piled up in the old generation until a full collection
   * (the daemon's RSS grew 155 MiB with each listing of a million bans).
   */
  private shortLived(ip: string, slot: number, reason?: BanTicket['reason']): BanTicket {
    return {
      ip,
      family: this.family[slot] === 6 ? 6 : 4,
      jail: this.jail,
      time: this.time[slot]!,
      bantime: this.bantime[slot]!,
      expires: this.index.valueAt(slot),
      failures: this.failures[slot]!,
      banCount: this.banCount[slot]!,
      matches: NO_LINES,
      users: undefined,
      reason: reason ?? REASONS[this.reason[slot]!],
      prefix: this.prefix[slot] || undefined,
      // Most tables have no origin: no lookup (hashing an address string built for this ticket).
      origin: this.origins.size ? this.origins.get(ip) : undefined,
    };
  }

  /** The index renumbered its entries (see {@link OrderedHostMap}): move each ban's slot with its entry. */
  private moveSlots(order: Int32Array | undefined, capacity: number): void {
    this.resize(capacity, order);
  }

  /** Replace each array by one of `slots` slots: slot `i` takes old slot `order[i]` (default: all, in place). */
  private resize(slots: number, order?: Int32Array): void {
    const n = order === undefined ? Math.min(slots, this.time.length) : order.length;
    // An order without gaps (0, 1, 2…) keeps every slot where it was: a plain copy.
    const inPlace = order === undefined || n === 0 || order[n - 1] === n - 1;
    const to = <T extends Float64Array | Uint32Array | Uint8Array>(make: new (n: number) => T, old: T): T => {
      const a = new make(slots);
      if (inPlace) a.set(old.subarray(0, n));
      else for (let i = 0; i < n; i++) a[i] = old[order[i]!]!;
      return a;
    };
    this.time = to(Float64Array, this.time);
    this.bantime = to(Float64Array, this.bantime);
    this.failures = to(Uint32Array, this.failures);
    this.banCount = to(Uint32Array, this.banCount);
    this.family = to(Uint8Array, this.family);
    this.reason = to(Uint8Array, this.reason);
    this.prefix = to(Uint8Array, this.prefix);
  }
}
