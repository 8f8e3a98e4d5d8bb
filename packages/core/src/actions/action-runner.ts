import type { ActionInstance, ListedBan } from '../contract/action-definition.js';
import type { BanTicket } from '../contract/ban-ticket.js';
import type { Logger } from '../util/logger.js';

type Operation = 'ban' | 'unban';

interface Pending {
  readonly op: Operation;
  readonly ticket: BanTicket;
}

/** Hooks an {@link ActionRunner} reports through. */
export interface ActionRunnerEvents {
  onApplied?(op: Operation, tickets: readonly BanTicket[]): void;
  onError?(operation: string, error: unknown): void;
}

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

  /** The bans the action reports holding, or undefined when it cannot list them (or is not started). */
  async list(): Promise<ListedBan[] | undefined> {
    if (!this.instance.list || !this.started) return undefined;
    return this.instance.list();
  }

  /** Number of operations not yet applied. */
  get backlog(): number {
    return this.queue.length;
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
  async check(current: () => readonly BanTicket[]): Promise<boolean> {
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
    const restore = current();
    // Re-bans go to the front: they describe the state now, the queue only what changed after.
    // (Not `unshift(...)`: a spread of 100,000+ bans overflows the call stack.)
    this.queue = [...restore.map((ticket) => ({ op: 'ban' as const, ticket: { ...ticket, reason: 'restore' as const } })), ...this.queue];
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
        const tickets = this.queue.slice(0, n).map((p) => p.ticket);
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
        this.queue.splice(0, n);
        this.events.onApplied?.(op, tickets);
      }
    } finally {
      this.flushing = false;
      if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private nextBackoff(): number {
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF);
    return delay;
  }

  private report(operation: string, error: unknown): void {
    this.logger.error({ err: error, operation, retryInMs: this.backoff }, `action ${this.id} ${operation} failed: ${(error as Error)?.message ?? error}`);
    this.events.onError?.(operation, error);
  }
}
