import type { ActionInstance, ListedBan } from '../contract/action-definition.js';
import type { BanTicket, CampaignEvent } from '../contract/ban-ticket.js';
import type { Logger } from '../util/logger.js';

type Operation = 'ban' | 'unban';

/**
 * One queued operation: a ticket, or a whole restore — the addresses only, their tickets built when the
 * batch goes out, so a million restored bans are one queue entry and not a million tickets waiting.
 */
type Pending =
  | { readonly op: Operation; readonly ticket: BanTicket; readonly restore?: undefined }
  | { readonly op: 'ban'; readonly ticket?: undefined; readonly restore: Restore };

/** Bans to put back into an action, as one batch. */
export interface Restore {
  /**
   * The addresses, in order: an array, or any list that can be counted and walked (a restart's million
   * addresses are held as numbers, each string built when it is read).
   */
  readonly ips: Iterable<string> & { readonly length: number };
  /** The ticket of `ip` at the time the batch goes out; undefined when it is no longer banned. */
  ticket(ip: string): BanTicket | undefined;
  /**
   * Every ticket at once, as {@link ticket} gives them (the lifted left out), when the caller can share one
   * list between actions: a batch that is a whole restore is then this list, not a copy per action.
   */
  tickets?(): readonly BanTicket[];
}

/** Hooks an {@link ActionRunner} reports through. */
export interface ActionRunnerEvents {
  onApplied?(op: Operation, tickets: readonly BanTicket[]): void;
  onError?(operation: string, error: unknown): void;
}

/** What an action is doing, for status: it never shows a ban as applied that an action has not applied. */
export interface ActionStatus {
  readonly id: string;
  /** `ok`: started and its last call succeeded; `failing`: its last start/ban/unban failed and is being retried. */
  readonly state: 'ok' | 'starting' | 'failing';
  /** Bans and unbans given to the action and not yet applied. */
  readonly backlog: number;
  /** The last failure, while the action is failing. */
  readonly error?: { readonly operation: string; readonly message: string; readonly since: number; readonly attempts: number } | undefined;
}

/** Longest error message kept for status: nft can print a whole script back. */
const MAX_ERROR_LENGTH = 500;

const MIN_BACKOFF = 1000;
const MAX_BACKOFF = 5 * 60_000;

/**
 * Feeds one action instance. Bans and unbans queue up and are flushed together on the next turn of the
 * event loop — a burst of lines becomes one batch, a lone ban goes out at once. Order is kept (runs of bans
 * and unbans are flushed in sequence). A failing batch stays at the head of the queue and is retried with
 * exponential backoff; nothing is dropped and nothing behind it overtakes it.
 */
export class ActionRunner {
  readonly id: string;
  private queue: Pending[] = [];
  private started = false;
  private starting: Promise<void> | undefined;
  private flushing = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoff = MIN_BACKOFF;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private failure: { operation: string; message: string; since: number; attempts: number } | undefined;

  constructor(
    id: string,
    private readonly instance: ActionInstance,
    private readonly logger: Logger,
    private readonly events: ActionRunnerEvents = {},
  ) {
    this.id = id;
  }

  /**
   * Start the action. Resolves after the first attempt; when it failed, retries go on in the background
   * with backoff and bans wait in the queue meanwhile.
   */
  start(): Promise<void> {
    this.stopped = false;
    if (!this.starting) {
      this.starting = new Promise<void>((resolve) => {
        void this.tryStart(resolve);
      });
    }
    return this.starting;
  }

  /** True once `start` succeeded. */
  get ready(): boolean {
    return this.started;
  }

  ban(ticket: BanTicket): void {
    this.push({ op: 'ban', ticket });
  }

  unban(ticket: BanTicket): void {
    this.push({ op: 'unban', ticket });
  }

  /** Put back bans held before (a restart, rules found missing): one batch, whatever their number. */
  restore(restore: Restore): void {
    if (restore.ips.length) this.push({ op: 'ban', restore });
  }

  /**
   * Tell the action a campaign started. Called at once (before the bans it leads to, which wait for the
   * next tick); a notice is not a ban, so a failure is logged and not retried.
   */
  campaign(event: CampaignEvent): void {
    if (!this.instance.campaign || this.stopped) return;
    this.instance.campaign(event).catch((error: unknown) => {
      this.logger.error({ err: error }, `action ${this.id} campaign notice failed: ${(error as Error)?.message ?? error}`);
      this.events.onError?.('campaign', error);
    });
  }

  /** The bans the action reports holding, or undefined when it cannot list them (or is not started). */
  async list(): Promise<ListedBan[] | undefined> {
    if (!this.instance.list || !this.started) return undefined;
    return this.instance.list();
  }

  /** Number of operations not yet applied. */
  get backlog(): number {
    let n = 0;
    for (const p of this.queue) n += p.restore ? p.restore.ips.length : 1;
    return n;
  }

  /** State, backlog and last error, for status. */
  get status(): ActionStatus {
    const state = this.failure ? 'failing' : this.started ? 'ok' : 'starting';
    return { id: this.id, state, backlog: this.backlog, ...(this.failure ? { error: { ...this.failure } } : {}) };
  }

  /** The addresses of the bans not yet applied (queued, in flight, or waiting for a retry). */
  pendingBans(): Set<string> {
    const out = new Set<string>();
    for (const p of this.queue) {
      if (p.restore) for (const ip of p.restore.ips) out.add(ip);
      else if (p.op === 'ban') out.add(p.ticket.ip);
    }
    return out;
  }

  /** Resolves when the queue is empty (or immediately when it is). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Ask the action whether its rules are still in place. When they are not, run `start` again and
   * re-apply `current()` — the engine's view of the jail's bans is the truth.
   */
  async check(current: () => Restore): Promise<boolean> {
    if (!this.instance.check || !this.started || this.stopped) return true;
    let ok: boolean;
    try {
      ok = await this.instance.check();
    } catch (error) {
      this.logger.warn({ err: error }, 'action check failed');
      ok = false;
    }
    if (ok) return true;
    this.logger.warn('action rules are missing (removed behind our back?); restoring them with the current bans');
    this.started = false;
    this.starting = undefined;
    await this.start();
    // Re-bans go to the front: they describe the state now, the queue only what changed after.
    const restore = current();
    if (restore.ips.length) this.queue.unshift({ op: 'ban', restore });
    this.schedule();
    return false;
  }

  /** Flush what can be flushed, then stop the action. */
  async stop(options: { callStop: boolean } = { callStop: true }): Promise<void> {
    if (this.started && this.queue.length) {
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (options.callStop && this.started && this.instance.stop) {
      try {
        await this.instance.stop();
      } catch (error) {
        this.report('stop', error);
      }
    }
    this.started = false;
    this.starting = undefined;
  }

  private async tryStart(firstAttempt: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        await this.instance.start?.();
        this.started = true;
        this.backoff = MIN_BACKOFF;
        this.failure = undefined;
        firstAttempt();
        this.schedule();
        return;
      } catch (error) {
        this.report('start', error);
        firstAttempt();
        await new Promise<void>((r) => {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            r();
          }, this.nextBackoff());
        });
      }
    }
  }

  private push(p: Pending): void {
    this.queue.push(p);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || !this.started || this.stopped || this.retryTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.started) return;
    this.flushing = true;
    try {
      while (this.queue.length && this.started) {
        const op = this.queue[0]!.op;
        let n = 1;
        while (n < this.queue.length && this.queue[n]!.op === op) n++;
        const tickets = this.batch(n);
        try {
          if (op === 'ban') await this.instance.ban(tickets);
          else await this.instance.unban(tickets);
        } catch (error) {
          this.report(op, error);
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.schedule();
          }, this.nextBackoff());
          return;
        }
        this.backoff = MIN_BACKOFF;
        this.failure = undefined;
        this.queue.splice(0, n);
        this.events.onApplied?.(op, tickets);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** The tickets of the first `n` queued operations (all of one kind), restores expanded. */
  private batch(n: number): readonly BanTicket[] {
    const first = this.queue[0]!;
    if (n === 1 && first.restore?.tickets) return first.restore.tickets();
    const tickets: BanTicket[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.queue[i]!;
      if (!p.restore) tickets.push(p.ticket);
      else
        for (const ip of p.restore.ips) {
          const t = p.restore.ticket(ip);
          if (t) tickets.push(t);
        }
    }
    return tickets;
  }

  private nextBackoff(): number {
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
    return delay;
  }

  private report(operation: string, error: unknown): void {
    const message = String((error as Error)?.message ?? error).slice(0, MAX_ERROR_LENGTH);
    this.failure = { operation, message, since: this.failure?.since ?? Date.now(), attempts: (this.failure?.attempts ?? 0) + 1 };
    this.logger.error({ err: error, operation, retryInMs: this.backoff }, `action ${this.id} ${operation} failed: ${(error as Error)?.message ?? error}`);
    this.events.onError?.(operation, error);
  }
}
