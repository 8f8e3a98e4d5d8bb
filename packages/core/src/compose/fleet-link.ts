import type { BanTicket } from '../contract/ban-ticket.js';
import type { FleetBan, FleetFailure, FleetInstance, FleetStatus } from '../contract/fleet.js';
import type { Jail } from '../jail/jail.js';
import { type ParsedNetwork, parseNetwork } from '../util/ip-network.js';
import type { Logger } from '../util/logger.js';
import type { ComposedFleet } from './compose-fleet.js';

/** Longest ban a fleet value may carry (ten years); longer is refused like any out-of-range value. */
const MAX_BANTIME = 10 * 365 * 86_400_000;
/** Failures waiting for the fleet: beyond this (the store is slow), new ones are counted locally only. */
const MAX_PENDING = 50_000;
const NODE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A fleet ban read from the store, checked field by field; a string says why it was refused. */
export function validFleetBan(raw: unknown, jails: ReadonlyMap<string, Jail>, now: number): { jail: Jail; target: ParsedNetwork; ban: FleetBan } | string {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const b = raw as Record<string, unknown>;
  if (typeof b.jail !== 'string' || !jails.has(b.jail)) return `unknown jail ${JSON.stringify(String(b.jail).slice(0, 64))}`;
  if (typeof b.target !== 'string' || b.target.length > 64) return 'target is not an address or network';
  const target = parseNetwork(b.target);
  // Only the canonical spelling is accepted: anything else was not written by a Portcullis node.
  if (!target || target.canonical !== b.target) return `target ${JSON.stringify(b.target)} is not a canonical address or network`;
  // No node bans wider than the widest subnet aggregation allows (/8, /16): a wider one is not ours.
  if (target.prefix < (target.family === 4 ? 8 : 16)) return `target ${b.target} is wider than any ban a node makes`;
  if (typeof b.node !== 'string' || !NODE_NAME.test(b.node)) return 'node name is not valid';
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
  if (!int(b.time, now - MAX_BANTIME, now + 86_400_000)) return 'time is out of range';
  if (!(b.bantime === -1 || int(b.bantime, 1000, MAX_BANTIME))) return 'bantime is out of range';
  if (!int(b.failures, 0, 1_000_000) || !int(b.banCount, 1, 1_000_000)) return 'failures or banCount is out of range';
  const ban: FleetBan = {
    jail: b.jail,
    target: target.canonical,
    time: b.time as number,
    bantime: b.bantime as number,
    failures: b.failures as number,
    banCount: b.banCount as number,
    node: b.node,
  };
  return { jail: jails.get(b.jail)!, target, ban };
}

/**
 * Joins a runtime to its fleet: counted failures and this node's own bans go out (coalesced per turn of the
 * event loop), bans and unbans of other nodes come in — validated like a log line, then applied through the
 * jail, which enforces this node's own ignoreip. Nothing that came from the fleet is sent back.
 */
export class FleetLink {
  readonly instance: FleetInstance;
  private failures: FleetFailure[] = [];
  private bans: FleetBan[] = [];
  private flushing = false;
  private connected = false;
  private refusedLogged = 0;
  private refusedCount = 0;

  constructor(
    private readonly fleet: ComposedFleet,
    private readonly jails: ReadonlyMap<string, Jail>,
    private readonly logger: Logger,
    private readonly configDir: string,
    private readonly now: () => number,
    private readonly onConnection: (connected: boolean) => void = () => {},
  ) {
    const log = logger.child({ fleet: fleet.name });
    this.instance = fleet.definition.create(fleet.options, {
      fleet: fleet.name,
      node: fleet.node,
      share: fleet.share,
      logger: log,
      configDir,
      applyBan: (raw) => this.applyBan(raw),
      liftBan: (jail, target) => this.liftBan(jail, target),
      localBans: () => this.localBans(),
      connectionChanged: (c) => {
        this.connected = c;
        this.onConnection(c);
      },
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  start(): Promise<void> {
    return this.instance.start();
  }

  stop(): Promise<void> {
    return this.instance.stop();
  }

  async status(): Promise<FleetStatus> {
    const s = await this.instance.status();
    return { ...s, refused: s.refused + this.refusedCount };
  }

  /** A jail counted a failure: add it to the fleet's count (when failures are shared). */
  counted(jail: Jail, key: string, time: number): void {
    if (!this.fleet.share.includes('failures') || !this.connected) return;
    if (this.failures.length >= MAX_PENDING) return;
    const s = jail.config;
    this.failures.push({ jail: jail.name, key, time, findtime: s.findtime, maxretry: s.maxretry });
    this.schedule();
  }

  /** A jail banned: publish the bans this node decided (never one that came from the fleet). */
  banned(ticket: BanTicket): void {
    if (ticket.origin !== undefined || ticket.reason === 'restore' || !this.fleet.share.includes('bans')) return;
    this.bans.push(toFleetBan(ticket, this.fleet.node));
    this.schedule();
  }

  /** Unbans asked for on this node (the control socket) are lifted everywhere. */
  unbanned(list: readonly { jail: string; ip: string }[]): void {
    if (!list.length || !this.fleet.share.includes('bans')) return;
    void this.instance.publishUnbans(list.map((u) => ({ jail: u.jail, target: u.ip })));
  }

  private schedule(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    try {
      while (this.failures.length || this.bans.length) {
        const bans = this.bans;
        this.bans = [];
        if (bans.length) await this.instance.publishBans(bans);
        const failures = this.failures;
        this.failures = [];
        if (!failures.length) continue;
        const counts = await this.instance.addFailures(failures);
        if (!counts) continue;
        for (let i = 0; i < failures.length; i++) {
          const c = counts[i];
          if (!c?.decides) continue;
          const f = failures[i]!;
          const jail = this.jails.get(f.jail);
          // The ban this produces is published by `banned`, on the next round of this loop.
          if (jail?.banForFleetCount(f.key, c.count)) this.logger.info({ jail: f.jail, target: f.key, failures: c.count }, `fleet-wide failures of ${f.key} reached maxretry`);
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'fleet: could not exchange failures and bans');
    } finally {
      this.flushing = false;
      if (this.failures.length || this.bans.length) this.schedule();
    }
  }

  private applyBan(raw: unknown): boolean {
    const checked = validFleetBan(raw, this.jails, this.now());
    if (typeof checked === 'string') {
      this.refused(checked);
      return false;
    }
    const { jail, target, ban } = checked;
    const outcome = jail.applyFleetBan(target, { time: ban.time, bantime: ban.bantime, failures: ban.failures, banCount: ban.banCount, origin: ban.node });
    if (outcome === 'ignored') this.logger.info({ jail: jail.name, target: ban.target, node: ban.node }, `not enforcing the fleet's ban of ${ban.target}: it covers an address this node ignores`);
    return outcome === 'applied';
  }

  private liftBan(jailName: unknown, target: unknown): void {
    if (typeof jailName !== 'string' || typeof target !== 'string') {
      this.refused('unban without jail or target');
      return;
    }
    const jail = this.jails.get(jailName);
    const net = parseNetwork(target);
    if (!jail || !net || net.canonical !== target) {
      this.refused(`unban of ${JSON.stringify(target.slice(0, 64))} in ${JSON.stringify(jailName.slice(0, 64))}`);
      return;
    }
    jail.unban(net.canonical);
  }

  private *localBans(): Iterable<FleetBan> {
    for (const jail of this.jails.values()) {
      for (const t of jail.currentBans()) if (t.origin === undefined) yield toFleetBan(t, this.fleet.node);
    }
  }

  /** A refused value is logged, at most once a minute (an attacker who writes garbage into the store must not flood the log). */
  private refused(why: string): void {
    this.refusedCount++;
    const now = this.now();
    if (now - this.refusedLogged < 60_000) return;
    this.refusedLogged = now;
    this.logger.warn({ fleet: this.fleet.name }, `fleet: refused a value from the store: ${why}`);
  }
}

function toFleetBan(t: BanTicket, node: string): FleetBan {
  return { jail: t.jail, target: t.ip, time: t.time, bantime: t.bantime, failures: t.failures, banCount: t.banCount, node };
}
