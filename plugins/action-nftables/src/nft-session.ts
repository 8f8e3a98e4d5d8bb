import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { type NftRunner, nftFailure, spawnFailure } from './run-nft.js';

interface Batch {
  readonly marker: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * One long-lived `nft -i` process that ban and unban batches are written to: starting `nft -f -` for every
 * batch (fork, exec, loading the libraries, reading the ruleset) was most of a ban's latency.
 *
 * In interactive mode nft runs each input line as one transaction, all of it or none, and writes what it
 * refuses to stderr as `Error: …` followed by the offending line. A batch is therefore written as one line
 * (its statements joined by `;`), followed by a marker line nft cannot parse (`portcullis-sync-<n>`): the
 * marker's own error, echoing it, says the batch before it is done, and anything on stderr before that is
 * the batch's error. Both come through the same stream, in order, so no batch is ever told another's result.
 *
 * A process that exits, is killed or does not answer within the runner's timeout fails the batches in
 * flight (the action runner retries them: adding or deleting elements twice is harmless) and is replaced
 * by a new one at the next batch. Argv only, never a shell; the statements hold only canonical addresses.
 */
export class NftSession {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly inFlight: Batch[] = [];
  private stderr = '';
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The process answered its first marker: it has loaded the ruleset and takes batches at once. */
  private warm = false;
  /** After a warm-up that timed out, none is tried again before this time (ms). */
  private coolUntil = 0;
  /** When a process was last killed for not answering in time (ms). */
  private timedOutAt = 0;

  constructor(private readonly runner: NftRunner) {}

  /** Apply `script` (statements one per line, as for `nft -f -`) as one transaction. */
  run(script: string): Promise<void> {
    const line = script
      .split('\n')
      .filter((s) => s.trim() !== '')
      .join('; ');
    if (line === '') return Promise.resolve();
    const child = this.child ?? this.spawn();
    const marker = `portcullis-sync-${++this.sequence}`;
    return new Promise<void>((resolve, reject) => {
      this.inFlight.push({ marker, resolve, reject });
      this.timer ??= this.startTimer();
      child.stdin.write(`${line}\n${marker}\n`);
    });
  }

  /**
   * True when batches can go to the process without waiting for it to start. A new `nft -i` reads the whole
   * ruleset, set elements included, before it answers (2 s with 95,000 bans here, and it grows with them):
   * until it has, the caller applies batches with `nft -f -`, so no ban waits on that.
   */
  get ready(): boolean {
    return this.warm && this.child !== undefined;
  }

  /**
   * Start the process in the background, if it is not running: it is ready once it answers a marker. A
   * process that does not answer within the timeout is killed, and no other is started for ten minutes.
   */
  warmUp(): void {
    if (this.child || Date.now() < this.coolUntil) return;
    const startedAt = Date.now();
    const started = this.spawn();
    this.run('# warm-up').then(
      () => {
        if (this.child === started) this.warm = true;
      },
      () => {
        // Too slow to start (a huge ruleset): stay with `nft -f -` for a while. Killed or exited: the next
        // batch starts another.
        if (this.timedOutAt >= startedAt) this.coolUntil = Date.now() + 600_000;
      },
    );
  }

  /**
   * End the process: its stdin closes and nft exits; batches in flight fail. Resolves once it has exited
   * (SIGKILL after the runner's timeout), so a stopped action leaves no process behind.
   */
  close(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.fail(child, new Error('the nft process was closed'));
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.runner.timeoutMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end();
    });
  }

  private spawn(): ChildProcessWithoutNullStreams {
    const argv = [...this.runner.prefix, this.runner.nft, '-i'];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    this.child = child;
    this.stderr = '';
    // An idle process never keeps the daemon alive; a batch in flight does, through its timeout timer.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    // Nothing is printed on success; stdout is drained so a chatty nft can never block on a full pipe.
    child.stdout.resume();
    child.stderr.setEncoding('utf8').on('data', (d: string) => this.onStderr(child, d));
    child.stdin.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => this.fail(child, spawnFailure(argv[0]!, this.runner, error)));
    // On exit, not on close: the next batch then starts a new process at once, even while the old one's
    // pipes are still open. A batch it answered just before is failed and retried: harmless.
    child.on('exit', (code, signal) => this.fail(child, new Error(`the nft process exited (${signal ?? `exit ${code}`}) before it answered; a new one is started for the next batch`)));
    return child;
  }

  private onStderr(child: ChildProcessWithoutNullStreams, data: string): void {
    if (child !== this.child) return;
    this.stderr += data;
    for (;;) {
      const batch = this.inFlight[0];
      if (!batch) {
        // Output while no batch is in flight belongs to none: it must not be taken for the next one's error.
        this.stderr = '';
        return;
      }
      const at = this.stderr.indexOf(`\n${batch.marker}\n`);
      if (at === -1) {
        // A batch's error text is bounded by nft; what is kept must still hold the marker's line.
        if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-100_000);
        return;
      }
      // The marker's error ends with a line marking where it is wrong (`^`): wait for all of it.
      const end = this.stderr.indexOf('\n', at + batch.marker.length + 2);
      if (end === -1) return;
      // The marker's own `Error: …` line is the one before it; everything earlier is the batch's.
      const errorLine = this.stderr.lastIndexOf('Error:', at);
      const own = this.stderr.slice(0, errorLine === -1 ? 0 : errorLine).trim();
      this.stderr = this.stderr.slice(end + 1);
      this.inFlight.shift();
      this.restartTimer();
      if (own === '') batch.resolve();
      else batch.reject(nftFailure('-i', own, undefined));
    }
  }

  /** The oldest batch in flight must be answered within the timeout, or the process is replaced. */
  private startTimer(): NodeJS.Timeout {
    const child = this.child;
    return setTimeout(() => {
      this.timer = undefined;
      if (!child || child !== this.child) return;
      const seconds = this.runner.timeoutMs / 1000;
      this.timedOutAt = Date.now();
      this.fail(child, new Error(`nft -i failed (killed by SIGKILL after ${seconds} s): it did not answer; a new process is started for the next batch`));
      child.kill('SIGKILL');
    }, this.runner.timeoutMs);
  }

  private restartTimer(): void {
    clearTimeout(this.timer);
    this.timer = this.inFlight.length ? this.startTimer() : undefined;
  }

  /** The process is done for: fail what it was given; the next batch starts a new one. */
  private fail(child: ChildProcessWithoutNullStreams, error: Error): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.warm = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const batch of this.inFlight.splice(0)) batch.reject(error);
  }
}
