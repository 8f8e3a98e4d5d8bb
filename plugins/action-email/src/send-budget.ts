/**
 * A sliding one-minute window of sent messages: the guard that keeps a burst of bans (without digest) from
 * turning into a mail flood. What does not fit is folded into one summary message.
 */
export class SendBudget {
  readonly #sent: number[] = [];
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(limit: number, windowMs = 60_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  #prune(now: number): void {
    while (this.#sent.length > 0 && this.#sent[0]! <= now - this.#windowMs) this.#sent.shift();
  }

  /** Messages that may still be sent in the current window. */
  available(now = Date.now()): number {
    this.#prune(now);
    return Math.max(this.#limit - this.#sent.length, 0);
  }

  /** Record a sent message. */
  record(now = Date.now()): void {
    this.#sent.push(now);
  }

  /** Milliseconds until one more message fits. */
  waitMs(now = Date.now()): number {
    this.#prune(now);
    if (this.#sent.length < this.#limit) return 0;
    return this.#sent[this.#sent.length - this.#limit]! + this.#windowMs - now;
  }
}
