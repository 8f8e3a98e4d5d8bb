import { detach } from '../parsing/detach-string.js';
import type { CampaignEvent } from '../contract/ban-ticket.js';
import { prefixKey } from '../util/ip-network.js';
import type { Detector, Observation, Verdict } from './detector.js';
import { FailureTracker } from './failure-tracker.js';
import type { TrackingBudget } from './tracking-budget.js';

/** A jail's `campaign` setting, durations in ms. */
export interface CampaignSettings {
  readonly failures: number;
  readonly sources: number;
  readonly findtime: number;
  readonly duration: number;
  readonly maxretry: number;
}

/** Targets (user names) followed at once: names are attacker-written, so their number is bounded. */
export const MAX_TARGETS = 10_000;
/** Longest user name kept as a target; longer names share their first characters' target. */
const MAX_TARGET_LENGTH = 64;

/** What a campaign asks its jail. */
export interface CampaignHooks {
  /** True when the failing host logged in successfully (never banned by a campaign). */
  exempt(o: Observation): boolean;
  /** True when a host inside `network` logged in successfully (the network is not banned whole). */
  exemptNetwork(network: string): boolean;
  onCampaign(event: CampaignEvent): void;
}

/** Failure times and recent sources of one target. */
interface Target {
  /** The newest `failures` failure times, a ring. */
  readonly times: Float64Array;
  next: number;
  /** Up to `sources` most recent distinct sources, oldest first, with their newest failure time. */
  readonly sources: Map<string, number>;
  /** When its campaign ends (0: none). */
  until: number;
  started: number;
  /** Failures and distinct sources when its campaign started. */
  failures: number;
  sourceCount: number;
}

/**
 * Campaigns: one target, many sources. Per target — the user name a filter captured, or the jail itself —
 * when `failures` failures from at least `sources` distinct hosts fall inside `findtime`, a campaign starts
 * for `duration`, and a host that fails `maxretry` times on a targeted name meanwhile is banned (unless
 * `exempt` says it logged in successfully). A botnet's addresses each fail once or twice, so during a
 * campaign the failures on targeted names also add up per subnet (the jail's `subnet` lengths, else /24 and
 * the jail's `ipv6prefix`): `maxretry` of them (at least 2, from two hosts or more) ban the subnet, unless a host inside it logged in successfully
 * (`exemptNetwork`). Campaign bans last at least the campaign's `duration`. Memory: per target `failures` times and `sources` keys, at most
 * {@link MAX_TARGETS} targets (the one seen first goes, one without a campaign if there is one); the hosts
 * counted during campaigns count against the global `maxtracked` cap like every other failure state.
 */
export class CampaignDetector implements Detector {
  private readonly targets = new Map<string, Target>();
  /** Failures of hosts on targeted names, counted while a campaign lasts. */
  private readonly hosts: FailureTracker;
  /** The same failures per subnet. */
  private readonly subnets: FailureTracker;
  /** Campaigns started since start (metrics). */
  started = 0;

  constructor(
    private settings: CampaignSettings,
    private readonly jail: string,
    private readonly hooks: CampaignHooks,
    private readonly budget?: TrackingBudget | undefined,
    /** Subnet prefix lengths the campaign's failures add up in. */
    private subnet: { ipv4: number; ipv6: number } = { ipv4: 24, ipv6: 48 },
  ) {
    this.hosts = new FailureTracker({ findtime: settings.duration, maxretry: settings.maxretry });
    this.subnets = new FailureTracker({ findtime: settings.duration, maxretry: Math.max(2, settings.maxretry) });
    budget?.register(this.hosts);
    budget?.register(this.subnets);
  }

  get size(): number {
    return this.targets.size + this.hosts.size + this.subnets.size;
  }

  /** The campaigns running at `now`. */
  active(now: number): CampaignEvent[] {
    const out: CampaignEvent[] = [];
    for (const [name, t] of this.targets) if (t.until > now) out.push(this.event(name, t));
    return out;
  }

  /** Resume a campaign (after a restart) that ends at `until`. */
  restore(event: CampaignEvent): void {
    const t = this.target(targetName(event.target));
    t.until = event.until;
    t.started = event.time;
    t.failures = event.failures;
    t.sourceCount = event.sources;
  }

  observe(o: Observation): Verdict | undefined {
    const name = targetName(o.user ?? this.jail);
    const t = this.target(name);
    const s = this.settings;
    if (t.until > o.time) {
      if (this.hooks.exempt(o)) return undefined;
      const bantime = s.duration;
      const net = prefixKey(o.ip, this.subnet.ipv4, this.subnet.ipv6);
      const host = this.count(this.hosts, o.key, o.time);
      const subnet = net === o.key ? host : this.count(this.subnets, net, o.time);
      // A subnet is banned for failures of at least two of its hosts, never for one host's own.
      if (subnet.ban && net !== o.key && subnet.count > host.count) {
        if (!this.hooks.exemptNetwork(net)) return { target: net, failures: subnet.count, reason: 'campaign', bantime };
        // A host that logged in lives there: the subnet is not banned, its failing hosts are.
        this.subnets.forget(net);
      }
      return host.ban ? { target: o.key, failures: host.count, reason: 'campaign', bantime } : undefined;
    }
    t.times[t.next] = o.time;
    t.next = (t.next + 1) % t.times.length;
    t.sources.delete(o.key);
    // Kept for the campaign's window: copies, since keys and names may be slices of the text of the read
    // their line came from, which they would keep alive.
    t.sources.set(detach(o.key), o.time);
    if (t.sources.size > s.sources) t.sources.delete(t.sources.keys().next().value!);
    const since = o.time - s.findtime;
    let failures = 0;
    for (const time of t.times) if (time > since) failures++;
    let sources = 0;
    for (const time of t.sources.values()) if (time > since) sources++;
    if (failures < s.failures || sources < s.sources) return undefined;
    t.started = o.time;
    t.until = o.time + s.duration;
    t.failures = failures;
    t.sourceCount = sources;
    this.started++;
    this.hooks.onCampaign(this.event(name, t));
    return undefined;
  }

  private count(tracker: FailureTracker, key: string, time: number): { count: number; ban: boolean } {
    const before = tracker.size;
    const result = tracker.add(key, time);
    if (this.budget !== undefined && tracker.size > before) this.budget.charge(tracker);
    return result;
  }

  expire(now: number): void {
    const since = now - this.settings.findtime;
    for (const [name, t] of this.targets) {
      if (t.until > now) continue;
      let newest = 0;
      for (const time of t.times) newest = Math.max(newest, time);
      if (newest <= since) this.targets.delete(name);
    }
    this.hosts.expire(now);
    this.subnets.expire(now);
  }

  forget(key: string): void {
    this.hosts.forget(key);
    this.subnets.forget(key);
  }

  /** Stop counting against the global cap (the jail or its campaign setting is gone). */
  close(): void {
    this.budget?.unregister(this.hosts);
    this.budget?.unregister(this.subnets);
    this.hosts.clear();
    this.subnets.clear();
  }

  configure(settings: CampaignSettings, subnet: { ipv4: number; ipv6: number } = this.subnet): void {
    if (settings.failures !== this.settings.failures) this.targets.clear();
    this.settings = settings;
    if (subnet.ipv4 !== this.subnet.ipv4 || subnet.ipv6 !== this.subnet.ipv6) this.subnets.clear();
    this.subnet = subnet;
    this.hosts.configure({ findtime: settings.duration, maxretry: settings.maxretry });
    this.subnets.configure({ findtime: settings.duration, maxretry: Math.max(2, settings.maxretry) });
  }

  private target(name: string): Target {
    let t = this.targets.get(name);
    if (t !== undefined) return t;
    if (this.targets.size >= MAX_TARGETS) this.evictOne();
    const times = new Float64Array(this.settings.failures).fill(Number.NEGATIVE_INFINITY);
    t = { times, next: 0, sources: new Map(), until: 0, started: 0, failures: 0, sourceCount: 0 };
    this.targets.set(detach(name), t);
    return t;
  }

  /** Drop the target seen first that never had a campaign (or, when all had one, the first). */
  private evictOne(): void {
    for (const [name, t] of this.targets) {
      if (t.until !== 0) continue;
      this.targets.delete(name);
      return;
    }
    this.targets.delete(this.targets.keys().next().value!);
  }

  private event(name: string, t: Target): CampaignEvent {
    return { jail: this.jail, target: name, failures: t.failures, sources: t.sourceCount, time: t.started, until: t.until };
  }
}

/** A user name as a target key: bounded length, control characters replaced. */
function targetName(user: string): string {
  const cut = user.length > MAX_TARGET_LENGTH ? user.slice(0, MAX_TARGET_LENGTH) : user;
  return /[\u0000-\u001f\u007f]/.test(cut) ? cut.replace(/[\u0000-\u001f\u007f]/g, '?') : cut;
}
