import type { BanTicket } from '../contract/ban-ticket.js';
import { SlotPool } from '../util/slot-pool.js';

/** Slots the table starts with, and below which it is not shrunk. */
const MIN_SLOTS = 64;
const REASONS = [undefined, 'failures', 'manual', 'restore', 'subnet', 'campaign'] as const;
const NO_LINES: readonly string[] = Object.freeze([]);

/**
 * The bans a jail holds while they last, as the runtime needs them: address, times, length, counts,
 * family and reason — not the matched lines (those went to the store and to the actions with the ticket
 * of the new ban). Each address maps to a slot in typed arrays, so a ban costs its map entry, its address
 * string and ~40 bytes, and no object the garbage collector has to trace; a {@link BanTicket} is built
 * when one is asked for (status, unban, action check).
 */
export class CurrentBans {
  private readonly slots = new Map<string, number>();
  private time = new Float64Array(0);
  private expiry = new Float64Array(0);
  private bantime = new Float64Array(0);
  private failures = new Uint32Array(0);
  private banCount = new Uint32Array(0);
  private family = new Uint8Array(0);
  private reason = new Uint8Array(0);
  /** Prefix length of a network ban; 0 for a single address. */
  private prefix = new Uint8Array(0);
  /** Fleet mode: the node that recorded a ban another node made (few; absent for this node's own). */
  private readonly origins = new Map<string, string>();
  private readonly pool = new SlotPool();
  private changeCount = 0;

  constructor(private readonly jail: string) {}

  get size(): number {
    return this.slots.size;
  }

  /** Grows with every ban kept, replaced or lifted: tickets built at one count are current while it stays. */
  get changes(): number {
    return this.changeCount;
  }

  has(ip: string): boolean {
    return this.slots.has(ip);
  }

  /** When the ban of `ip` ends (`Infinity`: never), or undefined when it is not banned. */
  expires(ip: string): number | undefined {
    const slot = this.slots.get(ip);
    return slot === undefined ? undefined : this.expiry[slot];
  }

  /** Keep a ban (replacing the one of the same address); returns its slot, valid while {@link changes} stays. */
  set(t: BanTicket): number {
    this.changeCount++;
    let slot = this.slots.get(t.ip);
    if (slot === undefined) {
      slot = this.allocate();
      this.slots.set(t.ip, slot);
    }
    this.time[slot] = t.time;
    this.expiry[slot] = t.expires;
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
    const slot = this.slots.get(ip);
    return slot === undefined ? undefined : this.ticket(ip, slot, reason);
  }

  /** The banned addresses, in the order they were first banned. */
  ips(): string[] {
    return [...this.slots.keys()];
  }

  delete(ip: string): boolean {
    const slot = this.slots.get(ip);
    if (slot === undefined) return false;
    this.changeCount++;
    this.slots.delete(ip);
    this.origins.delete(ip);
    this.pool.give(slot);
    // After a flood of bans has been lifted, give the memory back.
    const capacity = this.time.length;
    if (capacity > MIN_SLOTS && this.slots.size < capacity / 4)
      this.rebuild(Math.max(MIN_SLOTS, this.slots.size * 2));
    return true;
  }

  /** Every ban as a ticket without matched lines, in the order they were first made. */
  all(): BanTicket[] {
    const out: BanTicket[] = [];
    for (const [ip, slot] of this.slots) out.push(this.ticket(ip, slot));
    return out;
  }

  /**
   * Every ban as a ticket, built one at a time as the caller asks (an answer listing a million bans never
   * holds them all): bans made meanwhile may be visited, bans lifted meanwhile are skipped.
   */
  *tickets(): Generator<BanTicket> {
    // The map's iterator reads each entry's slot when it reaches it, so a rebuild in between is harmless.
    for (const [ip, slot] of this.slots) yield this.shortLived(ip, slot);
  }

  /**
   * The ban of `ip` as a short-lived ticket with reason `restore` (a restore batch builds one per read), or
   * undefined. `slot`, what {@link set} returned for it while {@link changes} has not moved since, saves
   * looking the address up (a million lookups are a second of CPU).
   */
  restoreTicket(ip: string, slot = this.slots.get(ip)): BanTicket | undefined {
    return slot === undefined ? undefined : this.shortLived(ip, slot, 'restore');
  }

  /** Remove the ban of `ip` and return it as a ticket (undefined when there is none). */
  take(ip: string): BanTicket | undefined {
    const slot = this.slots.get(ip);
    if (slot === undefined) return undefined;
    const ticket = this.shortLived(ip, slot);
    this.delete(ip);
    return ticket;
  }

  /** The banned addresses: the strings the table already holds, 8 bytes a ban. */
  addresses(): string[] {
    return [...this.slots.keys()];
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
      expires: this.expiry[slot]!,
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
      expires: this.expiry[slot]!,
      failures: this.failures[slot]!,
      banCount: this.banCount[slot]!,
      matches: NO_LINES,
      users: undefined,
      reason: reason ?? REASONS[this.reason[slot]!],
      prefix: this.prefix[slot] || undefined,
      origin: this.origins.get(ip),
    };
  }

  private allocate(): number {
    const slot = this.pool.take();
    if (slot >= 0) return slot;
    this.resize(Math.max(MIN_SLOTS, this.pool.capacity * 2));
    this.pool.grow(this.time.length);
    return this.pool.take();
  }

  /** Move every ban into arrays of `slots` slots, numbered from 0 in map order. */
  private rebuild(slots: number): void {
    const order = Int32Array.from(this.slots.values());
    this.resize(slots, order);
    let next = 0;
    for (const ip of this.slots.keys()) this.slots.set(ip, next++);
    this.pool.reset(slots, next);
  }

  /** Replace each array by one of `slots` slots: the old slots `order` (default: all of them, in place). */
  private resize(slots: number, order?: Int32Array): void {
    const to = <T extends Float64Array | Uint32Array | Uint8Array>(make: new (n: number) => T, old: T): T => {
      const a = new make(slots);
      if (order === undefined) a.set(old);
      else for (let i = 0; i < order.length; i++) a[i] = old[order[i]!]!;
      return a;
    };
    this.time = to(Float64Array, this.time);
    this.expiry = to(Float64Array, this.expiry);
    this.bantime = to(Float64Array, this.bantime);
    this.failures = to(Uint32Array, this.failures);
    this.banCount = to(Uint32Array, this.banCount);
    this.family = to(Uint8Array, this.family);
    this.reason = to(Uint8Array, this.reason);
    this.prefix = to(Uint8Array, this.prefix);
  }
}
