import type { BanStore } from '../contract/ban-store.js';
import type { CampaignEvent } from '../contract/ban-ticket.js';
import type { ComposedJail } from '../contract/composed-jail.js';
import type { ParsedAddress } from '../util/ip-address.js';
import { prefixKey } from '../util/ip-network.js';
import type { Logger } from '../util/logger.js';
import { CampaignDetector } from './campaign-detector.js';
import type { Detector, Observation, Verdict } from './detector.js';
import type { FailureTracker } from './failure-tracker.js';
import { MaxretryDetector } from './maxretry-detector.js';
import { SuccessfulLogins } from './successful-logins.js';
import type { TrackingBudget } from './tracking-budget.js';

/**
 * A jail's detectors, built from its settings: the maxretry rule per host key (address, or IPv6 prefix
 * per `ipv6prefix`), subnet aggregation when `subnet` is set, campaigns when `campaign` is set. Every
 * detector sees every failure, so counts stay true whichever of them bans.
 */
export class Detection {
  private ipv6prefix: number;
  private readonly maxretry: MaxretryDetector;
  private subnet: MaxretryDetector | undefined;
  private campaign: CampaignDetector | undefined;
  /** Broadest first: a subnet ban covers the host's own, a host's own rule comes before a campaign's. */
  private detectors: Detector[] = [];
  readonly logins = new SuccessfulLogins();
  private campaignsDirty = false;

  constructor(
    private settings: ComposedJail,
    private readonly budget: TrackingBudget | undefined,
    private readonly logger: Logger,
    private readonly onCampaign: (event: CampaignEvent) => void,
  ) {
    this.ipv6prefix = settings.ipv6prefix;
    this.maxretry = new MaxretryDetector(settings, budget);
    this.configure(settings);
  }

  /** What a host is counted and banned as: its address, or its IPv6 prefix. */
  keyOf(ip: ParsedAddress): string {
    return prefixKey(ip, 32, this.ipv6prefix);
  }

  /** Hosts, prefixes, subnets and targets held. */
  get size(): number {
    return this.maxretry.size;
  }

  /** Campaigns started since start. */
  get campaignsStarted(): number {
    return this.campaign?.started ?? 0;
  }

  configure(settings: ComposedJail): void {
    this.settings = settings;
    this.ipv6prefix = settings.ipv6prefix;
    this.maxretry.configure(settings);
    const sub = settings.subnet;
    if (sub) {
      const keyOf = (o: Observation) => prefixKey(o.ip, sub.ipv4, sub.ipv6);
      if (this.subnet) this.subnet.close();
      this.subnet = new MaxretryDetector(sub, this.budget, keyOf, 'subnet');
    } else {
      this.subnet?.close();
      this.subnet = undefined;
    }
    const c = settings.campaign;
    // IPv6 adds up no wider than ipv6prefix unless `subnet` says so: one ISP's /48 may hold many customers.
    const lengths = { ipv4: sub?.ipv4 ?? 24, ipv6: sub?.ipv6 ?? settings.ipv6prefix };
    if (c && this.campaign) this.campaign.configure(c, lengths);
    else if (c)
      this.campaign = new CampaignDetector(
        c,
        settings.name,
        {
          exempt: (o) => this.logins.has(o.key, o.time),
          exemptNetwork: (network) => this.logins.within(network),
          onCampaign: (event) => {
            this.campaignsDirty = true;
            this.onCampaign(event);
          },
        },
        this.budget,
        lengths,
      );
    else {
      this.campaign?.close();
      this.campaign = undefined;
    }
    this.detectors = [...(this.subnet ? [this.subnet] : []), this.maxretry, ...(this.campaign ? [this.campaign] : [])];
  }

  /** Count a failure with every detector (so each count stays true); the broadest verdict wins. */
  observe(o: Observation): Verdict | undefined {
    let best: Verdict | undefined;
    for (const d of this.detectors) {
      const v = d.observe(o);
      best ??= v;
    }
    return best;
  }

  /** Report changes of the per-host (or per-prefix) failure state, for saving with the read positions. */
  trackChanges(): void {
    this.maxretry.tracker.trackChanges();
  }

  /** Hosts whose failures changed since the last call (subnet and campaign counts are not saved). */
  takeChanges(): ReturnType<FailureTracker['takeChanges']> {
    return this.maxretry.tracker.takeChanges();
  }

  /** The hosts changed since the last {@link clearChanges}, built as visited (see {@link FailureTracker.changes}). */
  changes(): ReturnType<FailureTracker['changes']> {
    return this.maxretry.tracker.changes();
  }

  get hasChanges(): boolean {
    return this.maxretry.tracker.hasChanges;
  }

  clearChanges(): void {
    this.maxretry.tracker.clearChanges();
  }

  /** Every host's failures. */
  snapshot(): ReturnType<FailureTracker['snapshot']> {
    return this.maxretry.tracker.snapshot();
  }

  /** Put back a host's failures saved before a restart. */
  restore(key: string, times: readonly number[], now: number): void {
    this.maxretry.tracker.restore(key, times, now);
  }

  /** A host logged in (a filter's `success` line). */
  success(ip: ParsedAddress, time: number): void {
    this.logins.add(this.keyOf(ip), time);
  }

  forget(key: string): void {
    for (const d of this.detectors) d.forget(key);
  }

  expire(now: number): void {
    for (const d of this.detectors) d.expire(now);
    this.logins.expire(now);
  }

  activeCampaigns(now: number): CampaignEvent[] {
    return this.campaign?.active(now) ?? [];
  }

  /** Write active campaigns and recent logins to the store when they changed. */
  save(store: BanStore, now: number): void {
    if (!store.writeState) return;
    try {
      if (this.campaignsDirty) {
        store.writeState(`campaigns:${this.settings.name}`, JSON.stringify(this.activeCampaigns(now)));
        this.campaignsDirty = false;
      }
      if (this.logins.dirty) store.writeState(`logins:${this.settings.name}`, JSON.stringify(this.logins.toJSON()));
    } catch (error) {
      this.logger.error({ err: error }, 'could not save campaigns and logins in the store');
    }
  }

  /** Read what {@link Detection.save} wrote; campaigns that ended are dropped. */
  load(store: BanStore, now: number): void {
    const read = (key: string): unknown => {
      try {
        const text = store.readState?.(`${key}:${this.settings.name}`);
        return text === undefined ? undefined : JSON.parse(text);
      } catch (error) {
        this.logger.warn({ err: error }, `ignoring unreadable ${key} state in the store`);
        return undefined;
      }
    };
    this.logins.load(read('logins'));
    this.logins.dirty = false;
    const campaigns = read('campaigns');
    if (!this.campaign || !Array.isArray(campaigns)) return;
    let resumed = 0;
    for (const c of campaigns.slice(0, 1000) as Partial<CampaignEvent>[]) {
      if (typeof c?.target !== 'string' || typeof c.until !== 'number' || typeof c.time !== 'number' || c.until <= now) continue;
      this.campaign.restore({ jail: this.settings.name, target: c.target, time: c.time, until: c.until, failures: Number(c.failures) || 0, sources: Number(c.sources) || 0 });
      resumed++;
    }
    if (resumed) this.logger.info({ campaigns: resumed }, `resumed ${resumed} active campaign(s)`);
  }

  close(): void {
    this.maxretry.close();
    this.subnet?.close();
    this.campaign?.close();
  }
}
