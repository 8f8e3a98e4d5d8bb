import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ActionStatus } from '../actions/action-runner.js';
import { AddressMatcher } from '../jail/address-matcher.js';
import type { BanStore } from '../contract/ban-store.js';
import type { BanTicket, CampaignEvent } from '../contract/ban-ticket.js';
import { TrackingBudget } from '../jail/tracking-budget.js';
import { parseNetwork } from '../util/ip-network.js';
import type { ProgressStore } from '../contract/read-progress.js';
import { ProgressBuffer } from '../store/progress-buffer.js';
import { memorySnapshot, saveProgress } from './save-progress.js';
import { PortcullisError } from '../util/errors.js';
import type { Failure } from '../contract/filter-definition.js';
import { parseAddress } from '../util/ip-address.js';
import { Jail } from '../jail/jail.js';
import { recordBans } from '../jail/record-bans.js';
import { MatchRing } from '../jail/recent-matches.js';
import { DatePattern } from '../parsing/date-pattern.js';
import { LineParser } from '../parsing/line-parser.js';
import { LINE_SLICE, MAX_LINE_LENGTH } from '../contract/limits.js';
import type { ComposedJail, LoadedConfig } from './load-config.js';
import type { LogLine } from '../contract/log-line.js';
import type { LogSource, SourceLine } from '../contract/log-source.js';
import type { Logger } from '../util/logger.js';
import { parseDuration } from '../util/duration.js';
import { createSourceFor, sourceKey } from './source-for-jail.js';
import { changeSetting, settingValue } from './jail-settings.js';
import { FleetLink } from './fleet-link.js';
import type { FleetStatus } from '../contract/fleet.js';

/** Callbacks for metrics and tests; all optional and synchronous. */
export interface RuntimeHooks {
  onLines?(jail: string, count: number): void;
  onFailure?(jail: string, failure: Failure): void;
  onBan?(ticket: BanTicket): void;
  onUnban?(ticket: BanTicket): void;
  onActionError?(jail: string, action: string, operation: string, error: unknown): void;
  /** From the batch of lines being read to every action having applied the ban. */
  onBanApplied?(jail: string, latencyMs: number): void;
  onTruncatedLine?(jail: string): void;
  /** A campaign started. */
  onCampaign?(event: CampaignEvent): void;
  /** Failure state was evicted to stay under `maxtracked`. */
  onEvicted?(count: number): void;
  /** Fleet mode: the connection to the fleet's store came up or went down. */
  onFleetConnection?(connected: boolean): void;
}

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
  readonly config: LoadedConfig;
  readonly store: BanStore;
  readonly logger: Logger;
  readonly hooks?: RuntimeHooks | undefined;
  readonly now?: (() => number) | undefined;
  /** How often to expire failure state and run action checks (ms). */
  readonly housekeepingInterval?: number | undefined;
  /**
   * Where read positions and failures are saved together (about once a second), so a restart resumes
   * counting. Without it positions go straight to `store` and failures live only in memory.
   */
  readonly progress?: ProgressStore | undefined;
  /** How often progress is saved and the store checked (ms, default 1000). */
  readonly progressInterval?: number | undefined;
  /** The store lost its bans (its file was corrupt): read back what the actions still hold. */
  readonly readBack?: boolean | undefined;
}

/** A current ban as the control API shows it. */
export interface BanInfo {
  readonly jail: string;
  readonly ip: string;
  readonly time: number;
  readonly expires: number;
  readonly bantime: number;
  readonly banCount: number;
  readonly failures: number;
  /** Prefix length when `ip` is a network. */
  readonly prefixlen?: number | undefined;
  readonly reason?: BanTicket['reason'];
  /** Fleet mode: the node that recorded the ban, when it came from another node. */
  readonly origin?: string | undefined;
  /**
   * Actions that have not applied this ban (still queued, or failing: then with their last error). Absent
   * when every action applied it: a ban is only shown as enforced when it is.
   */
  readonly notApplied?: readonly { readonly action: string; readonly error?: string }[];
}

/** A jail's state for `status <jail>`. */
export interface JailStatus {
  readonly name: string;
  readonly filter: string;
  readonly sources: string[];
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  readonly totalBanned: number;
  /** Campaigns running now, with when they end. */
  readonly campaigns: CampaignEvent[];
  /** Current bans that some action has not applied (see {@link BanInfo.notApplied}). */
  readonly notApplied: number;
  /** Each action's state, backlog and, while failing, its last error. */
  readonly actions: ActionStatus[];
  readonly banned: BanInfo[];
}

interface RunningSource {
  readonly key: string;
  readonly source: LogSource;
  jails: Jail[];
  readonly parsers: Map<string, LineParser>;
  lines: number;
}

/**
 * All jails of a configuration, their log sources (one per distinct source, shared by the jails that
 * read it, so a line is read and parsed once), housekeeping timers, and the control API.
 */
export class Runtime {
  private loaded: LoadedConfig;
  private readonly jails = new Map<string, Jail>();
  /** Matched lines waiting for bans, for every jail: one fixed-size ring however many jails there are. */
  private readonly matchRing = new MatchRing();
  private sources: RunningSource[] = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly logger: Logger;
  /** See {@link queuedBans}. */
  private pendingBans: BanTicket[] = [];
  private bansQueued = false;
  private readonly dnsCache = new Map<string, { at: number; addresses: Promise<string[]> }>();
  /** Fleet mode: the link to the other nodes, when `fleet:` is configured. */
  private fleet: FleetLink | undefined;
  /** The `maxtracked` cap, shared by every jail. */
  readonly budget: TrackingBudget;
  /** Positions between saves; undefined without a progress store (sources then write to the store). */
  private readonly positions: ProgressBuffer | undefined;

  constructor(private readonly options: RuntimeOptions) {
    this.loaded = options.config;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.budget = new TrackingBudget(options.config.config.maxtracked ?? 1_000_000, this.logger, (n) => options.hooks?.onEvicted?.(n), this.now);
    this.positions = options.progress ? new ProgressBuffer(options.progress) : undefined;
  }

  get jailNames(): string[] {
    return [...this.jails.keys()];
  }

  get config(): LoadedConfig {
    return this.loaded;
  }

  /** Start actions, restore bans, start reading. */
  async start(): Promise<void> {
    if (this.loaded.fleet) {
      this.fleet = new FleetLink(this.loaded.fleet, this.jails, this.logger, this.loaded.dir, this.now, (c) => this.options.hooks?.onFleetConnection?.(c));
    }
    for (const settings of this.loaded.jails) {
      if (!settings.enabled) continue;
      await this.addJail(settings);
    }
    await this.syncSources();
    // Where each source starts is saved at once: a crash before the first periodic save must not leave a
    // new log without a position (the next start would skip to its end).
    this.persist();
    // After the jails: bans restored from the store are this node's own and get published on connect.
    if (this.fleet) await this.fleet.start();
    const every = this.options.housekeepingInterval ?? 30_000;
    const purgeAge = parseDuration(this.loaded.config.dbpurgeage);
    this.timers.push(
      setInterval(() => {
        for (const jail of this.jails.values()) {
          jail.sweep();
          jail.check().catch((error: unknown) => this.logger.error({ err: error, jail: jail.name }, 'action check failed'));
        }
      }, every),
      setInterval(() => this.safely('purge', () => this.options.store.purge(this.now() - purgeAge)), 3_600_000),
      setInterval(() => this.persist(), this.options.progressInterval ?? 1000),
    );
    for (const t of this.timers) t.unref();
    this.logger.info({ jails: this.jailNames }, `started ${this.jails.size} jail(s)`);
  }

  /** Stop reading, then stop every jail's actions. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.sources.map((s) => s.source.stop()));
    this.sources = [];
    await this.fleet?.stop();
    this.fleet = undefined;
    this.persist();
    await Promise.all([...this.jails.values()].map((j) => j.stop()));
    this.jails.clear();
  }

  /**
   * Apply a new configuration: changed jails are reconfigured in place (bans and positions kept), removed
   * jails stop and lift their bans, new jails start. With `only`, just that jail is touched.
   */
  async reload(config: LoadedConfig, only?: string): Promise<void> {
    if (only !== undefined && !this.jails.has(only) && !config.jails.some((j) => j.name === only)) {
      throw new PortcullisError('JAIL_UNKNOWN', `no jail named "${only}"`);
    }
    const wanted = new Map(config.jails.filter((j) => j.enabled).map((j) => [j.name, j]));
    for (const [name, jail] of this.jails) {
      if (only !== undefined && name !== only) continue;
      const next = wanted.get(name);
      if (next) {
        await jail.reconfigure(next, this.ignoreFor(next));
      } else {
        jail.unbanAll();
        await jail.idle();
        await jail.stop();
        this.jails.delete(name);
      }
    }
    for (const [name, settings] of wanted) {
      if (only !== undefined && name !== only) continue;
      if (!this.jails.has(name)) await this.addJail(settings);
    }
    this.loaded = config;
    this.budget.cap = config.config.maxtracked ?? 1_000_000;
    await this.syncSources();
    this.persist();
    this.logger.info({ jails: this.jailNames }, 'configuration reloaded');
  }

  /** `get <jail> <setting>`: the running value (see RUNTIME_SETTINGS). */
  getSetting(jailName: string, setting: string): number | readonly string[] {
    return settingValue(this.getJail(jailName).config, setting);
  }

  /**
   * `set <jail> <setting> <value>`: validated like the config, applied to the running jail at once; lasts
   * until the next reload (the config file stays the source of truth). Resolves with the new value.
   */
  async setSetting(jailName: string, change: string, value: string): Promise<number | readonly string[]> {
    const jail = this.getJail(jailName);
    const next = changeSetting(jail.config, change, value);
    await jail.reconfigure(next, next.ignoreip === jail.config.ignoreip ? undefined : this.ignoreFor(next));
    const setting = change.endsWith('ignoreip') ? 'ignoreip' : change;
    this.logger.info({ jail: jailName, setting, value }, `set ${setting} of ${jailName}`);
    return settingValue(next, setting);
  }

  /** `jail stop <name>`: stop reading and lift the jail's bans, as removing it from the config would; until the next reload. */
  async stopJail(name: string): Promise<void> {
    const jail = this.getJail(name);
    jail.unbanAll();
    await jail.idle();
    await jail.stop();
    this.jails.delete(name);
    await this.syncSources();
    this.persist();
    this.logger.info({ jail: name }, `jail ${name} stopped`);
  }

  /** `jail start <name>`: start a jail of the running config that is not running (stopped by `jail stop`). */
  async startJail(name: string): Promise<void> {
    if (this.jails.has(name)) throw new PortcullisError('JAIL_STATE', `jail "${name}" is already running`);
    const settings = this.loaded.jails.find((j) => j.name === name);
    if (!settings) throw new PortcullisError('JAIL_UNKNOWN', `no jail named "${name}" in the config`);
    if (!settings.enabled) throw new PortcullisError('JAIL_STATE', `jail "${name}" is disabled in the config`, { hint: 'set enabled: true and reload' });
    await this.addJail(settings);
    await this.syncSources();
    this.persist();
    this.logger.info({ jail: name }, `jail ${name} started`);
  }

  /** `reload --restart`: stop every jail and start the new config's, bans kept (restored from the store). */
  async restart(config: LoadedConfig): Promise<void> {
    await this.stop();
    this.loaded = config;
    this.budget.cap = config.config.maxtracked ?? 1_000_000;
    await this.start();
  }

  /** A jail's status with the list of its bans (for embedding and tests; the control socket streams {@link bans}). */
  jailStatus(name: string): JailStatus {
    return { ...this.jailSummary(name), banned: [...this.bans({ jail: name })] };
  }

  /** A jail's status without the list of its bans: counts only, however many bans there are. */
  jailSummary(name: string): Omit<JailStatus, 'banned'> {
    const jail = this.getJail(name);
    return {
      name,
      filter: jail.filterDefinition.id,
      sources: this.sources.filter((s) => s.jails.includes(jail)).map((s) => s.source.id),
      currentlyFailed: jail.currentlyFailed,
      totalFailed: jail.totalFailed,
      currentlyBanned: jail.currentlyBanned,
      totalBanned: jail.totalBanned,
      campaigns: jail.activeCampaigns(),
      notApplied: jail.unappliedBans().size,
      actions: jail.actionStatus(),
    };
  }

  /** Ban addresses or networks (`198.51.100.0/24`, `2001:db8:1::/64`) by hand in one jail. */
  async ban(jailName: string, ips: string[]): Promise<{ banned: string[]; already: string[]; invalid: string[]; ignored: string[] }> {
    const jail = this.getJail(jailName);
    const result = { banned: [] as string[], already: [] as string[], invalid: [] as string[], ignored: [] as string[] };
    for (const text of ips) {
      const ip = parseNetwork(text);
      if (!ip) {
        result.invalid.push(text);
        continue;
      }
      const outcome = jail.banManually(ip);
      result[outcome].push(ip.canonical);
    }
    return result;
  }

  /** Lift bans: given addresses (in one jail or all), or every ban. Text that is not an address is `invalid`. */
  async unban(ips: string[] | 'all', jailName?: string): Promise<{ unbanned: { jail: string; ip: string }[]; notBanned: string[]; invalid: string[] }> {
    const jails = jailName === undefined ? [...this.jails.values()] : [this.getJail(jailName)];
    const result = { unbanned: [] as { jail: string; ip: string }[], notBanned: [] as string[], invalid: [] as string[] };
    if (ips === 'all') {
      for (const j of jails) for (const ip of j.unbanBatch(j.bannedAddresses())) result.unbanned.push({ jail: j.name, ip });
      this.fleet?.unbanned(result.unbanned);
      return result;
    }
    for (const text of ips) {
      // An address or a network, in any spelling; anything else is invalid.
      const ip = parseNetwork(text)?.canonical;
      if (ip === undefined) {
        result.invalid.push(text);
        continue;
      }
      let any = false;
      for (const j of jails) {
        if (j.unban(ip)) {
          result.unbanned.push({ jail: j.name, ip });
          any = true;
        }
      }
      if (!any) result.notBanned.push(text);
    }
    this.fleet?.unbanned(result.unbanned);
    return result;
  }

  /**
   * Lift every ban (of one jail) that exists when it starts, a batch at a time, yielding each batch: one
   * store transaction a batch, and the actions apply it before the next (or `actionWait` ms pass: a failing
   * action does not hold it up), so what waits for them stays one batch long.
   */
  async *unbanAll(jailName?: string, options: { batch?: number; actionWait?: number } = {}): AsyncGenerator<{ jail: string; ip: string }[]> {
    const jails = jailName === undefined ? [...this.jails.values()] : [this.getJail(jailName)];
    const size = options.batch ?? 2_000;
    for (const jail of jails) {
      const ips = jail.bannedAddresses();
      for (let at = 0; at < ips.length; at += size) {
        const lifted = jail.unbanBatch(ips.slice(at, at + size));
        if (lifted.length) {
          const batch = lifted.map((ip) => ({ jail: jail.name, ip }));
          this.fleet?.unbanned(batch);
          yield batch;
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([jail.idle(), new Promise((r) => (timer = setTimeout(r, options.actionWait ?? 5_000)))]).finally(() => clearTimeout(timer));
      }
    }
  }

  /** Fleet mode: the fleet as the store shows it (nodes, heartbeats, bans); undefined without `fleet:`. */
  async fleetStatus(): Promise<FleetStatus | undefined> {
    return this.fleet?.status();
  }

  /** Current bans, optionally only those of one address (its own, or the network ban that holds it) or network. */
  banned(ip?: string): BanInfo[] {
    return [...this.bans({ ip })];
  }

  /** Current bans (of one jail, of one address) built one at a time, for answers too large to hold at once. */
  *bans(filter: { jail?: string | undefined; ip?: string | undefined } = {}): Generator<BanInfo> {
    // An address finds its own ban or the network ban that holds it; a network finds its own ban.
    const want = filter.ip === undefined ? undefined : (parseNetwork(filter.ip)?.canonical ?? filter.ip);
    const address = filter.ip === undefined ? undefined : parseAddress(filter.ip);
    const jails = filter.jail === undefined ? [...this.jails.values()] : [this.getJail(filter.jail)];
    for (const j of jails) {
      const covering = address ? j.banCovering(address) : undefined;
      // Walked once per jail: which bans some action has not applied yet (status tells the truth).
      const unapplied = j.unappliedBans();
      for (const t of j.eachBan()) {
        if (want !== undefined && t.ip !== want && t.ip !== covering) continue;
        const notApplied = unapplied.get(t.ip);
        // Short-lived objects only, built here as they are asked for (see CurrentBans.shortLived).
        yield {
          jail: t.jail,
          ip: t.ip,
          time: t.time,
          expires: t.expires,
          bantime: t.bantime,
          banCount: t.banCount,
          failures: t.failures,
          ...(t.prefix !== undefined ? { prefixlen: t.prefix } : {}),
          ...(t.reason !== undefined && t.reason !== 'restore' ? { reason: t.reason } : {}),
          ...(t.origin !== undefined ? { origin: t.origin } : {}),
          ...(notApplied ? { notApplied } : {}),
        };
      }
    }
  }

  /** Resolves once every action of every jail has applied what it was given. */
  async idle(): Promise<void> {
    await Promise.all([...this.jails.values()].map((j) => j.idle()));
  }

  /**
   * Save the positions and failures changed since the last save, in one unit, then let the store heal
   * (write what a full disk refused, rebuild a deleted or corrupt file from what is in memory). Runs between
   * batches of lines, so the positions and the failures describe the same lines.
   */
  private persist(): void {
    const { progress, store } = this.options;
    if (progress && this.positions) {
      const positions = this.positions;
      this.safely('saving read positions', () => saveProgress(this.jails.values(), positions, progress));
    }
    if (store.heal) this.safely('checking the store', () => store.heal!(() => memorySnapshot(this.jails.values(), this.positions)));
  }

  private getJail(name: string): Jail {
    const jail = this.jails.get(name);
    if (!jail) throw new PortcullisError('JAIL_UNKNOWN', `no jail named "${name}"; jails: ${this.jailNames.join(', ') || '(none)'}`);
    return jail;
  }

  private async addJail(settings: ComposedJail): Promise<void> {
    const hooks = this.options.hooks ?? {};
    const fleet = this.fleet;
    // In fleet mode the jail's bans and counted failures also go to the fleet; `jail` is assigned below,
    // before any line reaches it.
    let jail: Jail | undefined;
    const events = fleet
      ? {
          ...hooks,
          onBan: (ticket: BanTicket) => {
            fleet.banned(ticket);
            hooks.onBan?.(ticket);
          },
          onCounted: (_: string, key: string, time: number) => fleet.counted(jail!, key, time),
        }
      : hooks;
    jail = new Jail(settings, {
      store: this.options.store,
      logger: this.logger,
      events,
      now: this.now,
      configDir: this.loaded.dir,
      ignore: this.ignoreFor(settings),
      resolveHost: (host) => this.resolve(host),
      historyWindow: parseDuration(this.loaded.config.dbpurgeage),
      matchRing: this.matchRing,
      budget: this.budget,
      progress: this.options.progress,
      readBack: this.options.readBack,
    });
    await jail.start();
    this.jails.set(settings.name, jail);
  }

  private ignoreFor(settings: ComposedJail): AddressMatcher {
    return new AddressMatcher([...settings.ignoreip, ...(settings.ignoreself ? selfAddresses() : [])]);
  }

  /** Start sources newly needed, stop those no longer needed, regroup jails on the ones kept. */
  private async syncSources(): Promise<void> {
    const groups = new Map<string, Jail[]>();
    for (const jail of this.jails.values()) {
      const key = sourceKey(jail.config);
      groups.set(key, [...(groups.get(key) ?? []), jail]);
    }
    const keep: RunningSource[] = [];
    for (const s of this.sources) {
      const jails = groups.get(s.key);
      if (jails) {
        s.jails = jails;
        keep.push(s);
        groups.delete(s.key);
      } else {
        await s.source.stop();
      }
    }
    this.sources = keep;
    for (const [key, jails] of groups) {
      const running: RunningSource = {
        key,
        source: createSourceFor(jails[0]!.config, { logger: this.logger, positions: this.positions ?? this.options.store }),
        jails,
        parsers: new Map(),
        lines: 0,
      };
      this.sources.push(running);
      try {
        await running.source.start((lines, origin) => this.deliver(running, lines, origin));
        this.logger.info({ source: running.source.id, jails: jails.map((j) => j.name) }, 'reading');
      } catch (error) {
        this.logger.error({ err: error, source: running.source.id }, `cannot start source ${running.source.id}`);
      }
    }
  }

  private deliver(s: RunningSource, lines: readonly SourceLine[], origin: string): void {
    const t0 = performance.now();
    const hooks = this.options.hooks;
    let cut = 0;
    // The splitter cuts over-long lines to exactly MAX_LINE_LENGTH: a line that long was (almost surely) cut.
    if (hooks?.onTruncatedLine) for (const raw of lines) if ((raw.message ?? raw.text).length >= MAX_LINE_LENGTH) cut++;
    // Each line is parsed once for all the jails of the source that find dates the same way (nearly always
    // all of them); a jail with its own `datepattern` gets its own reading of the lines.
    const first = s.jails[0]?.config.datepattern;
    if (s.jails.every((j) => j.config.datepattern === first)) {
      this.deliverTo(s.jails, first, s, lines, origin, t0, cut);
    } else {
      const byPattern = new Map<string | undefined, Jail[]>();
      for (const jail of s.jails) {
        const key = jail.config.datepattern;
        byPattern.set(key, [...(byPattern.get(key) ?? []), jail]);
      }
      for (const [pattern, jails] of byPattern) this.deliverTo(jails, pattern, s, lines, origin, t0, cut);
    }
    s.lines += lines.length;
  }

  /** Parse `lines` once with `datepattern` (undefined: the usual formats) and hand them to `jails`. */
  private deliverTo(jails: readonly Jail[], datepattern: string | undefined, s: RunningSource, lines: readonly SourceLine[], origin: string, t0: number, cut: number): void {
    const key = datepattern === undefined ? origin : `${datepattern}\n${origin}`;
    let parser = s.parsers.get(key);
    if (!parser) {
      const dates = datepattern === undefined ? undefined : new DatePattern(datepattern, { now: this.now });
      parser = new LineParser({ format: 'auto', now: this.now, dates });
      s.parsers.set(key, parser);
    }
    const hooks = this.options.hooks;
    // Lines are not built at all when they belong to a program none of the jails reads (a jail without
    // `programs` reads every line).
    let programs: Set<string> | undefined = new Set();
    for (const jail of jails) {
      const own = jail.programs;
      if (own === undefined) {
        programs = undefined;
        break;
      }
      for (const p of own) programs.add(p);
    }
    for (const jail of jails) for (let i = 0; i < cut; i++) hooks?.onTruncatedLine?.(jail.name);
    // The bans of every jail reading these lines are written in one transaction with those of every other
    // slice delivered in this turn (see queuedBans).
    const bans = this.queuedBans();
    // Parsed and matched a slice at a time, so no parsed line outlives its slice (see LINE_SLICE).
    const parsed: LogLine[] = [];
    for (let start = 0; start < lines.length; start += LINE_SLICE) {
      parsed.length = 0;
      const end = Math.min(lines.length, start + LINE_SLICE);
      for (let i = start; i < end; i++) {
        const line = parser.fromSource(lines[i]!, programs, undefined, origin);
        if (line !== undefined) parsed.push(line);
      }
      for (const jail of jails) {
        try {
          jail.processBatch(parsed, t0, bans);
        } catch (error) {
          // One jail's failure (a filter bug on a strange line) must not stop the others.
          this.logger.error({ err: error, jail: jail.name }, 'error while matching lines');
        }
      }
    }
    parsed.length = 0;
    for (const jail of jails) hooks?.onLines?.(jail.name, lines.length);
  }

  /**
   * The bans of the lines delivered in this turn of the event loop, written to the store in one transaction
   * once the turn's synchronous work is done: a source hands a read on in slices of LINE_SLICE lines, and a
   * commit per slice (hundreds a second under a flood, each rewriting the same pages of the WAL) was a
   * fifth of the daemon's CPU. Still before any action applies them: actions flush in `setImmediate`,
   * after this. A jail that lifts a ban of the turn writes them first (see `Jail.processBatch`).
   */
  private queuedBans(): BanTicket[] {
    if (!this.bansQueued) {
      this.bansQueued = true;
      queueMicrotask(() => {
        this.bansQueued = false;
        const bans = this.pendingBans;
        this.pendingBans = [];
        recordBans(this.options.store, bans, this.logger);
      });
    }
    return this.pendingBans;
  }

  private resolve(host: string): Promise<string[]> {
    const cached = this.dnsCache.get(host);
    if (cached && this.now() - cached.at < 300_000) return cached.addresses;
    const addresses = lookup(host, { all: true }).then((r) => r.map((a) => a.address));
    this.dnsCache.set(host, { at: this.now(), addresses });
    if (this.dnsCache.size > 10_000) this.dnsCache.delete(this.dnsCache.keys().next().value!);
    return addresses;
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.logger.error({ err: error }, `${what} failed`);
    }
  }
}


/** This machine's own addresses, for `ignoreself`. */
function selfAddresses(): string[] {
  const out = ['127.0.0.0/8', '::1'];
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  return out;
}
