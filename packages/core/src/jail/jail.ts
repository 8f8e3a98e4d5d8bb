import { performance } from 'node:perf_hooks';
import { ActionRunner, type ActionStatus, type Restore } from '../actions/action-runner.js';
import type { AddressMatcher } from './address-matcher.js';
import type { BanStore, StoredBan } from '../contract/ban-store.js';
import type { BanTicket, CampaignEvent } from '../contract/ban-ticket.js';
import { type CompiledFilter, compileFilter } from '../filters/compile-filter.js';
import { CurrentBans } from './current-bans.js';
import type { Failure, FilterDefinition } from '../contract/filter-definition.js';
import { type ParsedAddress, parseAddress } from '../util/ip-address.js';
import { ipv4Number } from './host-key.js';
import { type ParsedNetwork, networkContains, parseNetwork } from '../util/ip-network.js';
import { BannedNetworks } from './banned-networks.js';
import { Detection } from './detection.js';
import type { Verdict } from './detector.js';
import type { TrackingBudget } from './tracking-budget.js';
import type { ComposedAction, ComposedJail } from '../contract/composed-jail.js';
import type { LogLine } from '../contract/log-line.js';
import type { Logger } from '../util/logger.js';
import type { FailureRecord, ProgressStore } from '../contract/read-progress.js';
import { type MatchRing, RecentMatches } from './recent-matches.js';
import { UnbanSchedule } from './unban-schedule.js';
import { recordBans } from './record-bans.js';
import { restoreTickets } from './restore-tickets.js';
import { HostList } from './host-list.js';

/** Callbacks a jail reports through (metrics, tests). */
export interface JailEvents {
  onFailure?(jail: string, failure: Failure): void;
  onBan?(ticket: BanTicket): void;
  onUnban?(ticket: BanTicket): void;
  onActionError?(jail: string, action: string, operation: string, error: unknown): void;
  onBanApplied?(jail: string, latencyMs: number): void;
  /** A campaign started (one target, many sources). */
  onCampaign?(event: CampaignEvent): void;
  /** A failure was counted under `key` (an address or an IPv6 prefix): fleet mode adds it to the fleet's count. */
  onCounted?(jail: string, key: string, time: number): void;
}

/** What a jail needs from the runtime. */
export interface JailDeps {
  readonly store: BanStore;
  readonly logger: Logger;
  readonly events: JailEvents;
  readonly now: () => number;
  readonly configDir: string;
  readonly ignore: AddressMatcher;
  readonly resolveHost: (host: string) => Promise<string[]>;
  /** Window over which earlier bans of an address count for `increment`. */
  readonly historyWindow: number;
  /** Where matched lines wait for a ban; a daemon shares one between its jails (default: the jail's own). */
  readonly matchRing?: MatchRing | undefined;
  /** The global cap on failure state (`maxtracked`), shared by every jail of a daemon. */
  readonly budget?: TrackingBudget | undefined;
  /** Where failures were saved before a restart; when set, the jail also reports changes for saving. */
  readonly progress?: ProgressStore | undefined;
  /** The store lost its bans (a corrupt file set aside): read back what the actions still hold at start. */
  readonly readBack?: boolean | undefined;
}

/**
 * One jail: a compiled filter, a failure tracker, the current bans with their unban schedule, and one
 * runner per action. Bans are written to the store before the actions are asked to apply them.
 */
export class Jail {
  readonly name: string;
  totalFailed = 0;
  totalBanned = 0;
  private settings: ComposedJail;
  private filter: CompiledFilter;
  private readonly detection: Detection;
  private readonly bans: CurrentBans;
  /** Prefix lengths of the network bans held, to find the network ban that covers an address. */
  private readonly networks = new BannedNetworks();
  private readonly schedule: UnbanSchedule;
  private runners: { key: string; runner: ActionRunner }[] = [];
  private readonly matches: RecentMatches;
  /** When the line that caused a ban was read, and how many runners still have to apply it. */
  private readonly pendingLatency = new WeakMap<BanTicket, { t0: number; left: number }>();
  /** Entries of {@link pendingLatency} (a WeakMap has no size): 0 lets a restore batch go unread. */
  private latencyWaiting = 0;
  private readonly logger: Logger;
  /** ignoreip (and this machine's own addresses): replaced by a reload or `set <jail> addignoreip`. */
  private ignore: AddressMatcher;

  constructor(
    settings: ComposedJail,
    private readonly deps: JailDeps,
  ) {
    this.name = settings.name;
    this.settings = settings;
    this.ignore = deps.ignore;
    this.logger = deps.logger.child({ jail: settings.name });
    this.detection = new Detection(settings, deps.budget, this.logger, (event) => this.campaignStarted(event));
    this.filter = this.compile(settings);
    if (deps.progress) this.detection.trackChanges();
    this.matches = new RecentMatches(deps.matchRing);
    this.bans = new CurrentBans(settings.name);
    this.schedule = new UnbanSchedule((ip, at) => this.expire(ip, at), deps.now);
    this.runners = settings.actions.map((a) => ({ key: actionKey(a), runner: this.makeRunner(a) }));
  }

  get config(): ComposedJail {
    return this.settings;
  }

  get filterDefinition(): FilterDefinition {
    return this.settings.filter;
  }

  /** The programs the jail's filter reads (undefined: every line). */
  get programs(): ReadonlySet<string> | undefined {
    return this.filter.programs;
  }

  get currentlyFailed(): number {
    return this.detection.size;
  }

  /** Campaigns running now. */
  activeCampaigns(): CampaignEvent[] {
    return this.detection.activeCampaigns(this.deps.now());
  }

  /** Campaigns started since start. */
  get campaignsStarted(): number {
    return this.detection.campaignsStarted;
  }

  get currentlyBanned(): number {
    return this.bans.size;
  }

  /** Start the actions and re-apply the bans recorded in the store (expired ones are dropped). */
  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.runner.start()));
    const now = this.deps.now();
    this.detection.load(this.deps.store, now);
    // One ban at a time from the store into the typed arrays of CurrentBans; the actions get one batch,
    // its tickets built as they read them (see restoreTickets): neither the objects the store hands over nor
    // their address strings are kept (the batch lists addresses as numbers), so they die young instead of a
    // million of them being held until the actions have run.
    const restored = new HostList();
    const dropped: string[] = [];
    const keep = (ban: StoredBan) => {
      if (ban.expires <= now) {
        dropped.push(ban.ip);
        return;
      }
      // A store may be shared or edited: only a canonical address or network is re-applied. Most bans
      // are single IPv4 addresses, checked without parsing (and no network to record).
      if (ipv4Number(ban.ip) >= 0) {
        // Fields the object already has, written in place (the store's object, read once and dropped).
        const own = ban as { -readonly [K in keyof StoredBan]: StoredBan[K] };
        own.family = 4;
        own.reason = 'restore';
        restored.push(ban.ip, this.bans.set(own));
      } else {
        const target = parseNetwork(ban.ip);
        if (target === undefined || target.canonical !== ban.ip) {
          this.logger.warn({ ip: ban.ip }, 'dropping a stored ban whose target is not a canonical address or network');
          dropped.push(ban.ip);
          return;
        }
        restored.push(ban.ip, this.bans.set({ ...ban, family: target.family, prefix: prefixOf(target), reason: 'restore' }));
        this.networks.add(target);
      }
      this.schedule.add(ban.ip, ban.expires);
    };
    const store = this.deps.store;
    if (store.forEachCurrentBan) store.forEachCurrentBan(this.name, keep);
    else for (const ban of store.currentBans(this.name, { lines: false })) keep(ban);
    // Removed after the read: a store may not take writes while it is stepping through its rows.
    for (const ip of dropped) store.removeBan(this.name, ip);
    const restore = this.restoreOf(restored, true);
    for (const { runner } of this.runners) runner.restore(restore);
    if (this.bans.size) this.logger.info({ restored: this.bans.size }, `restored ${this.bans.size} ban(s)`);
    if (this.deps.readBack) await this.readBack(now);
    this.restoreFailures(now);
  }

  /**
   * Failure state for the store: the hosts changed since the last call, or every host with `all`. Saved
   * with the read positions, so a restart resumes counting where the lines were read up to. (The daemon's
   * saves use {@link changedFailures}, which builds no list.)
   */
  failures(all: boolean, out: FailureRecord[] = []): FailureRecord[] {
    const jail = this.name;
    if (all) for (const h of this.detection.snapshot()) out.push({ jail, host: h.host, times: h.times });
    else {
      for (const r of this.changedFailures()) out.push(r);
      this.detection.clearChanges();
    }
    return out;
  }

  /**
   * The hosts whose failures changed since the last {@link clearFailureChanges}, one record at a time as the
   * caller visits them (again on a second visit): see {@link FailureTracker.changes}.
   */
  *changedFailures(): Generator<FailureRecord, void, undefined> {
    const jail = this.name;
    for (const h of this.detection.changes()) yield { jail, host: h.host, times: h.times };
  }

  /** True when some host's failures changed since the last {@link clearFailureChanges}. */
  get failuresChanged(): boolean {
    return this.detection.hasChanges;
  }

  /** The changed failures were saved: forget which hosts changed. */
  clearFailureChanges(): void {
    this.detection.clearChanges();
  }

  /** Put back the failures saved before the restart (hosts banned meanwhile excepted). */
  private restoreFailures(now: number): void {
    const saved = this.deps.progress?.failures(this.name) ?? [];
    let hosts = 0;
    for (const r of saved) {
      // Keys are addresses or IPv6 prefixes, in canonical form.
      if (this.bans.has(r.host) || parseNetwork(r.host)?.canonical !== r.host) continue;
      this.detection.restore(r.host, r.times, now);
      hosts++;
    }
    if (hosts) this.logger.info({ hosts }, `resumed counting the failures of ${hosts} host(s)`);
  }

  /** Adopt the bans the actions still hold that the store no longer knows (its file was lost). */
  private async readBack(now: number): Promise<void> {
    let adopted = 0;
    for (const { runner } of this.runners) {
      let listed: Awaited<ReturnType<ActionRunner['list']>>;
      try {
        listed = await runner.list();
      } catch (error) {
        this.logger.warn({ err: error, action: runner.id }, `cannot read back the bans of action ${runner.id}`);
        continue;
      }
      for (const entry of listed ?? []) {
        // What an action lists is only as trustworthy as the set it came from: canonical addresses only.
        const ip = parseNetwork(entry.ip);
        if (!ip || ip.canonical !== entry.ip || this.bans.has(ip.canonical) || this.ignore.overlaps(ip) || !(entry.expires > now)) continue;
        const bantime = Number.isFinite(entry.expires) ? entry.expires - now : -1;
        const ticket: BanTicket = { ip: ip.canonical, family: ip.family, prefix: prefixOf(ip), jail: this.name, time: now, bantime, expires: entry.expires, failures: 0, banCount: 1, matches: [], users: [], reason: 'restore' };
        this.record(ticket);
        this.bans.set(ticket);
        this.networks.add(ip);
        this.schedule.add(ticket.ip, ticket.expires);
        for (const r of this.runners) r.runner.ban(ticket);
        adopted++;
      }
    }
    if (adopted) this.logger.warn({ adopted }, `read back ${adopted} ban(s) the actions still held but the store had lost`);
  }

  /**
   * `ips` as a restore batch: each ticket is built when an action reads it, as the ban then is, so the
   * actions that take the whole batch at once (`tickets()`) never make a million tickets live together.
   * Addresses lifted before the batch goes out are left out of it; one lifted while an action reads the
   * batch still gets a ticket, as it was in the batch when it went out (its unban is queued behind it).
   * With `slotted` (at start), each address has its slot in CurrentBans beside it, used while no ban has
   * changed since.
   */
  private restoreOf(ips: HostList, slotted = false): Restore {
    const at = this.bans.changes;
    const ticket = (ip: string) => this.bans.restoreTicket(ip);
    const view = (live: HostList, withSlots: boolean) =>
      restoreTickets(live.length, (i) => {
        const ip = live.at(i);
        const t = withSlots && at === this.bans.changes ? this.bans.restoreTicket(ip, live.valueAt(i)) : this.bans.restoreTicket(ip);
        return t ?? this.liftedTicket(ip);
      });
    const stillBanned = () => {
      const live = new HostList();
      for (let i = 0; i < ips.length; i++) {
        const ip = ips.at(i);
        if (this.bans.has(ip)) live.push(ip);
      }
      return live;
    };
    // Unchanged since the batch was made: every action that takes it is given the same list.
    let unchanged: readonly BanTicket[] | undefined;
    const tickets = () => (at === this.bans.changes ? (unchanged ??= view(ips, slotted)) : view(stillBanned(), false));
    return { ips, ticket, tickets };
  }

  /** The ticket of a ban lifted while an action was reading its restore batch. */
  private liftedTicket(ip: string): BanTicket {
    const target = parseNetwork(ip);
    const now = this.deps.now();
    return { ip, family: target?.family ?? 4, prefix: target ? prefixOf(target) : undefined, jail: this.name, time: now, bantime: 0, expires: now, failures: 0, banCount: 1, matches: [], reason: 'restore' };
  }

  /** Stop the actions (their `stop` removes what they created unless they keep bans). */
  async stop(): Promise<void> {
    this.schedule.clear();
    this.detection.save(this.deps.store, this.deps.now());
    this.detection.close();
    await Promise.all(this.runners.map((r) => r.runner.stop()));
  }

  /**
   * Feed a batch of parsed lines; `t0` is when it was read (for latency). The bans the batch causes are
   * written to the store together at its end (one transaction instead of one per ban): still before any
   * action applies them, as actions flush on the next turn of the event loop.
   *
   * With `bans`, the batch's bans are added to that array instead, and the caller writes them (with those
   * of the other jails reading the same lines: one commit for all of them) before the event loop turns.
   */
  processBatch(lines: readonly LogLine[], t0: number, bans?: BanTicket[]): void {
    this.unrecorded = bans ?? [];
    try {
      for (let i = 0; i < lines.length; i++) this.process(lines[i]!, t0);
    } finally {
      if (bans === undefined) this.recordUnrecorded();
      else this.unrecorded = undefined;
    }
  }

  /** Feed one parsed line; `t0` is when its batch was read (for latency). */
  process(line: LogLine, t0: number): void {
    const failures = this.filter.match(line);
    if (failures === undefined) return;
    for (const f of failures) this.onFailure(f, t0);
  }

  /** Periodic housekeeping: forget hosts whose failures left the window. */
  sweep(): void {
    this.detection.expire(this.deps.now());
    this.detection.save(this.deps.store, this.deps.now());
    this.matches.expire(this.deps.now() - this.settings.findtime);
  }

  /** Ask every action to verify its rules; restore them with the current bans when they are gone. */
  async check(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.runner.check(() => this.restoreOf(this.bans.hostList()))));
  }

  /**
   * Apply a new configuration of this jail without losing bans; unchanged actions keep running. `ignore`
   * replaces the ignoreip matcher (bans already held are kept: lift them by hand).
   */
  async reconfigure(settings: ComposedJail, ignore?: AddressMatcher): Promise<void> {
    const old = this.settings;
    this.settings = settings;
    if (ignore) this.ignore = ignore;
    this.detection.configure(settings);
    if (old.filter !== settings.filter || JSON.stringify(old.filterOptions) !== JSON.stringify(settings.filterOptions)) {
      this.filter = this.compile(settings);
    }
    const wanted = settings.actions.map((a) => ({ key: actionKey(a), action: a }));
    const keep = this.runners.filter((r) => wanted.some((w) => w.key === r.key));
    const drop = this.runners.filter((r) => !keep.includes(r));
    await Promise.all(drop.map((r) => r.runner.stop()));
    const next: { key: string; runner: ActionRunner }[] = [];
    for (const w of wanted) {
      const existing = keep.find((r) => r.key === w.key);
      if (existing) {
        next.push(existing);
        continue;
      }
      const runner = this.makeRunner(w.action);
      await runner.start();
      for (const t of this.bans.all()) runner.ban(t);
      next.push({ key: w.key, runner });
    }
    this.runners = next;
  }

  /**
   * Ban an address or a network by hand (control socket). A network that holds an ignoreip address (or
   * this machine's own) is refused: banning it whole would block what must never be blocked.
   */
  banManually(target: ParsedNetwork): 'banned' | 'already' | 'ignored' {
    if (this.ignore.overlaps(target)) return 'ignored';
    if (this.bans.has(target.canonical) || this.networks.covering(target, this.bans) !== undefined) return 'already';
    this.ban(target, { failures: 0, matches: [], users: [], reason: 'manual', t0: undefined });
    return 'banned';
  }

  /**
   * The fleet counted `count` failures of `key` (this node's and others') and this node decides the ban: ban it
   * as if the count had been reached here.
   */
  banForFleetCount(key: string, count: number): boolean {
    const target = parseNetwork(key);
    if (!target || this.ignore.overlaps(target)) return false;
    if (this.bans.has(target.canonical) || this.networks.covering(target, this.bans) !== undefined) return false;
    const seen = this.matches.take(key);
    this.ban(target, { failures: count, matches: seen.lines, users: seen.users, reason: 'failures', t0: undefined });
    return true;
  }

  /**
   * Apply a ban another fleet node recorded (already validated). This node's own ignoreip and addresses win:
   * a ban that covers one of them is not enforced here. Returns what happened.
   */
  applyFleetBan(
    target: ParsedNetwork,
    ban: { time: number; bantime: number; failures: number; banCount: number; origin: string },
  ): 'applied' | 'already' | 'ignored' | 'expired' {
    if (this.ignore.overlaps(target)) return 'ignored';
    if (this.bans.has(target.canonical) || this.networks.covering(target, this.bans) !== undefined) return 'already';
    const expires = ban.bantime < 0 ? Number.POSITIVE_INFINITY : ban.time + ban.bantime;
    if (expires <= this.deps.now()) return 'expired';
    this.ban(target, { failures: ban.failures, matches: [], users: [], reason: 'failures', t0: undefined }, ban);
    return 'applied';
  }

  /** Lift a ban now. Returns false when the address was not banned here. */
  unban(ip: string): boolean {
    const ticket = this.bans.get(ip);
    if (!ticket) return false;
    this.lift(ticket);
    return true;
  }

  /**
   * Lift the bans of those addresses that are still banned here, as one batch (a chunk of `unban --all`):
   * one store transaction and one log line for the batch, each address at debug level. Returns those lifted.
   */
  unbanBatch(ips: readonly string[]): string[] {
    const lifted: BanTicket[] = [];
    for (const ip of ips) {
      const ticket = this.bans.take(ip);
      if (ticket !== undefined) lifted.push(ticket);
    }
    if (lifted.length === 0) return [];
    for (const t of lifted) {
      const net = parseNetwork(t.ip);
      if (net) this.networks.remove(net);
    }
    const addresses = lifted.map((t) => t.ip);
    const store = this.deps.store;
    try {
      if (store.removeBans) store.removeBans(this.name, addresses);
      else for (const ip of addresses) store.removeBan(this.name, ip);
    } catch (error) {
      this.logger.error({ err: error, count: addresses.length }, 'could not remove the bans from the store');
    }
    this.logger.info({ count: lifted.length }, `unbanned ${lifted.length} address(es)`);
    for (const ticket of lifted) {
      this.logger.debug({ ip: ticket.ip }, `unban ${ticket.ip}`);
      for (const { runner } of this.runners) runner.unban(ticket);
      this.deps.events.onUnban?.(ticket);
    }
    return addresses;
  }

  /** Lift every ban of the jail. */
  unbanAll(): number {
    const all = this.bans.all();
    for (const t of all) this.lift(t);
    return all.length;
  }

  isBanned(ip: string): boolean {
    return this.bans.has(ip);
  }

  /** The ban that covers `ip` (its own, or a banned network holding it), if any. */
  banCovering(ip: ParsedAddress): string | undefined {
    if (this.bans.has(ip.canonical)) return ip.canonical;
    return this.networks.covering(ip, this.bans);
  }

  currentBans(): BanTicket[] {
    return this.bans.all();
  }

  /** Each action's state, backlog and last error. */
  actionStatus(): ActionStatus[] {
    return this.runners.map((r) => r.runner.status);
  }

  /**
   * The current bans some action has not applied (yet, or because it is failing): for each address, those
   * actions with their last error. A ban every action applied is absent, so status never shows as enforced
   * what is only recorded.
   */
  unappliedBans(): Map<string, { action: string; error?: string }[]> {
    const out = new Map<string, { action: string; error?: string }[]>();
    for (const { runner } of this.runners) {
      const pending = runner.pendingBans();
      if (pending.size === 0) continue;
      const error = runner.status.error?.message;
      for (const ip of pending) {
        if (!this.bans.has(ip)) continue;
        const list = out.get(ip) ?? [];
        list.push(error === undefined ? { action: runner.id } : { action: runner.id, error });
        out.set(ip, list);
      }
    }
    return out;
  }

  /** The current bans built one at a time, for answers too large to hold at once. */
  eachBan(): Iterable<BanTicket> {
    return this.bans.tickets();
  }

  /** The banned addresses, in the order they were first banned (built from the table: IPv4 ones are held as numbers). */
  bannedAddresses(): string[] {
    return this.bans.ips();
  }

  /** Wait until every action has applied what it was given (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.runner.idle()));
  }

  private onFailure(f: Failure, t0: number): void {
    const now = this.deps.now();
    const time = f.time;
    // A line without a date may be years old (a backlog read with logstart: start): as in fail2ban it
    // does not count, unless the jail says its lines have no dates (`datepattern: '{NONE}'`, arrival time).
    if (Number.isNaN(time)) {
      this.undated(f);
      return;
    }
    // Old lines (a restart reading a backlog, a log replayed) do not count: the window is relative to now,
    // and a failure counts while now - time < findtime, as the tracker counts it.
    if (time <= now - this.settings.findtime) return;
    const ip = parseAddress(f.host);
    if (ip) {
      this.count(ip, f, time, t0);
      return;
    }
    if (this.settings.usedns === 'no') {
      this.logger.debug({ host: f.host }, 'failure from a host name ignored (usedns: no)');
      return;
    }
    this.deps.resolveHost(f.host).then(
      (addresses) => {
        if (this.settings.usedns === 'warn') this.logger.warn({ host: f.host, addresses }, `resolved host name ${f.host}; better log addresses`);
        for (const a of addresses) {
          const parsed = parseAddress(a);
          if (parsed) this.count(parsed, f, time, performance.now());
        }
      },
      (error: unknown) => this.logger.warn({ host: f.host, err: error }, `cannot resolve ${f.host}`),
    );
  }

  /** Said once per jail, at the first failure line that has no date. */
  private warnedUndated = false;

  private undated(f: Failure): void {
    if (this.warnedUndated) return;
    this.warnedUndated = true;
    this.logger.warn(
      { line: f.line.raw.slice(0, 200) },
      'a failure line has no date this jail recognises, so it is not counted (nor any such line after it); set the jail\'s datepattern to its date format, or to "{NONE}" to count lines at their arrival',
    );
  }

  private count(ip: ParsedAddress, f: Failure, time: number, t0: number): void {
    if (this.ignore.has(ip)) return;
    const key = this.detection.keyOf(ip);
    if (this.bans.has(key) || (this.networks.size > 0 && this.networks.covering(ip, this.bans) !== undefined)) return;
    this.totalFailed++;
    this.deps.events.onFailure?.(this.name, f);
    this.matches.add(key, f.line.raw, f.user, time);
    const verdict = this.detection.observe({ ip, key, user: f.user, time });
    this.deps.events.onCounted?.(this.name, key, time);
    if (verdict === undefined) return;
    const seen = this.matches.take(key);
    const why = { failures: verdict.failures, matches: seen.lines, users: seen.users, reason: verdict.reason, t0, bantime: verdict.bantime };
    const target = this.target(verdict, ip);
    if (this.bans.has(target.canonical)) return;
    this.ban(target, why);
  }

  /**
   * What a verdict bans: its network, unless that holds an ignoreip address or this machine's own — then
   * only the address that failed, and the log says why (its neighbours are banned one by one as they fail).
   */
  private target(verdict: Verdict, ip: ParsedAddress): ParsedNetwork {
    const net = parseNetwork(verdict.target)!;
    if (prefixOf(net) === undefined || !this.ignore.overlaps(net)) return net;
    this.logger.warn(
      { network: net.canonical, ip: ip.canonical },
      `not banning ${net.canonical} whole: it holds an ignored address or this machine's own; banning ${ip.canonical} alone`,
    );
    this.detection.forget(verdict.target);
    return { family: ip.family, bytes: ip.bytes, prefix: ip.family === 4 ? 32 : 128, canonical: ip.canonical };
  }

  /** A login succeeded (a filter's success line): a campaign never bans that host. */
  private succeeded(host: string, time: number): void {
    const ip = parseAddress(host);
    if (ip) this.detection.success(ip, Number.isFinite(time) ? time : this.deps.now());
  }

  private campaignStarted(event: CampaignEvent): void {
    const until = new Date(event.until).toISOString();
    this.logger.warn(
      { target: event.target, failures: event.failures, sources: event.sources, until },
      `campaign against "${event.target}": ${event.failures} failures from ${event.sources} sources; failing on it bans until ${until}`,
    );
    this.deps.events.onCampaign?.(event);
    for (const { runner } of this.runners) runner.campaign(event);
  }

  private compile(settings: ComposedJail): CompiledFilter {
    return compileFilter(settings.filter, settings.filterOptions, { onSuccess: (host, time) => this.succeeded(host, time) });
  }

  private ban(
    ip: ParsedNetwork,
    why: { failures: number; matches: string[]; users: string[]; reason: BanTicket['reason']; t0: number | undefined; bantime?: number | undefined },
    /** A ban another fleet node recorded: its own time, length and count are kept. */
    remote?: { time: number; bantime: number; banCount: number; origin: string },
  ): void {
    const now = remote?.time ?? this.deps.now();
    const s = this.settings;
    // A rule may ask for longer (a campaign bans for its duration); a permanent bantime stays permanent. A ban
    // another fleet node recorded keeps its own length.
    let bantime = remote?.bantime ?? (s.bantime >= 0 && why.bantime !== undefined ? Math.max(s.bantime, why.bantime) : s.bantime);
    const scope = s.increment?.overalljails ? undefined : this.name;
    // Fleet bans applied here are in the store too, so the history counts the fleet's bans this node saw.
    const banCount = remote?.banCount ?? this.deps.store.banCount(ip.canonical, scope, now - this.deps.historyWindow) + 1;
    if (!remote && s.increment && bantime > 0) bantime = Math.min(bantime * s.increment.factor ** (banCount - 1), s.increment.maxtime);
    const prefix = prefixOf(ip);
    const ticket: BanTicket = {
      ip: ip.canonical,
      family: ip.family,
      prefix,
      jail: this.name,
      time: now,
      bantime,
      expires: bantime < 0 ? Number.POSITIVE_INFINITY : now + bantime,
      failures: why.failures,
      banCount,
      matches: why.matches,
      users: why.users,
      reason: why.reason,
      origin: remote?.origin,
    };
    this.record(ticket);
    // Memory keeps the ban without its matched lines: they went to the store and go to the actions with
    // this ticket; under a long attack they would be most of what the daemon holds.
    if (prefix !== undefined) this.absorb(ip);
    this.bans.set(ticket);
    this.networks.add(ip);
    this.detection.forget(ticket.ip);
    this.schedule.add(ticket.ip, ticket.expires);
    this.totalBanned++;
    if (why.t0 !== undefined && this.runners.length) {
      this.pendingLatency.set(ticket, { t0: why.t0, left: this.runners.length });
      this.latencyWaiting++;
    }
    this.logger.info({ ip: ticket.ip, failures: ticket.failures, bantime: ticket.bantime, banCount }, `ban ${ticket.ip}`);
    for (const { runner } of this.runners) runner.ban(ticket);
    this.deps.events.onBan?.(ticket);
  }

  /** Bans of the batch being processed, not written to the store yet (see {@link processBatch}). */
  private unrecorded: BanTicket[] | undefined;

  private record(ticket: BanTicket): void {
    if (this.unrecorded) {
      this.unrecorded.push(ticket);
      return;
    }
    try {
      this.deps.store.addBan(ticket);
    } catch (error) {
      // Still ban: a host that must be blocked now matters more than the record; say it loudly.
      this.logger.error({ err: error, ip: ticket.ip }, 'could not record the ban in the store');
    }
  }

  /** Write the batch's bans; from then on bans are written one at a time again. */
  private recordUnrecorded(): void {
    const bans = this.unrecorded;
    this.unrecorded = undefined;
    if (bans?.length) recordBans(this.deps.store, bans, this.logger);
  }

  /** An unban is due: lift the ban of `ip` when it still ends at `at` (not lifted early, not replaced). */
  private expire(ip: string, at: number): void {
    if (this.bans.expires(ip) !== at) return;
    const ticket = this.bans.get(ip);
    if (ticket) this.lift(ticket);
  }

  private lift(ticket: BanTicket): void {
    // A ban of this batch (a network ban absorbing it) is written first, so the removal below wins.
    // (Emptied in place: the array may be the one every jail of the batch adds to, see processBatch.)
    const unrecorded = this.unrecorded;
    if (unrecorded?.length) {
      recordBans(this.deps.store, unrecorded, this.logger);
      unrecorded.length = 0;
    }
    this.bans.delete(ticket.ip);
    const net = parseNetwork(ticket.ip);
    if (net) this.networks.remove(net);
    try {
      this.deps.store.removeBan(this.name, ticket.ip);
    } catch (error) {
      this.logger.error({ err: error, ip: ticket.ip }, 'could not remove the ban from the store');
    }
    this.logger.info({ ip: ticket.ip }, `unban ${ticket.ip}`);
    for (const { runner } of this.runners) runner.unban(ticket);
    this.deps.events.onUnban?.(ticket);
  }

  /**
   * Lift the bans a new network ban covers: firewall sets of networks cannot hold an address inside a
   * network they hold, and one ban says it all.
   */
  private absorb(net: ParsedNetwork): void {
    for (const t of this.bans.all()) {
      const inner = parseNetwork(t.ip);
      if (inner && inner.prefix >= net.prefix && networkContains(net, inner)) {
        this.logger.info({ ip: t.ip, network: net.canonical }, `${t.ip} is now covered by the ban of ${net.canonical}`);
        this.lift(t);
      }
    }
  }

  private makeRunner(a: ComposedAction): ActionRunner {
    const logger = this.logger.child({ action: a.id });
    const instance = a.definition.create(a.options, {
      jail: { name: this.name, ports: this.settings.ports, protocol: this.settings.protocol, bantime: this.settings.bantime },
      logger,
      configDir: this.deps.configDir,
      dryRun: false,
    });
    return new ActionRunner(a.id, instance, logger, {
      onError: (op, error) => this.deps.events.onActionError?.(this.name, a.id, op, error),
      onApplied: (op, tickets) => {
        // Nothing waits for a latency figure (a restore): the batch is not read again.
        if (op !== 'ban' || this.latencyWaiting === 0) return;
        for (const t of tickets) {
          const p = this.pendingLatency.get(t);
          if (p && --p.left === 0) {
            this.pendingLatency.delete(t);
            this.latencyWaiting--;
            this.deps.events.onBanApplied?.(this.name, performance.now() - p.t0);
          }
        }
      },
    });
  }
}

/** The prefix length a ticket carries: undefined for a single address. */
function prefixOf(net: ParsedNetwork): number | undefined {
  return net.prefix === (net.family === 4 ? 32 : 128) ? undefined : net.prefix;
}

function actionKey(a: ComposedAction): string {
  return `${a.id}\0${JSON.stringify(a.options)}`;
}
