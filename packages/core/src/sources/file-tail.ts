import { type FSWatcher, type Stats, watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { headHash } from './head-hash.js';
import { deliverSliced } from './sliced-lines.js';
import { MAX_LINE_LENGTH } from './line-splitter.js';
import type { PositionStore, SourceLine, SourcePosition } from '../contract/log-source.js';
import type { Logger } from '../util/logger.js';
import { OpenLogFile } from './open-log-file.js';
import { type OpenFileBudget, processFileBudget } from './open-file-budget.js';
import { findRotated } from './rotated-file.js';

/** Bytes per read: large reads keep the syscalls and sink calls per line low at high rates. */
const CHUNK = 128 * 1024;

/** Where a tail starts in a file it has no stored position for. */
export type StartAt = 'end' | 'start';

/** Options of a {@link FileTail}. */
export interface FileTailOptions {
  readonly path: string;
  readonly logger: Logger;
  readonly positions?: PositionStore | undefined;
  readonly startAt: StartAt;
  readonly deliver: (lines: SourceLine[], origin: string) => void;
  /** Wait this long (ms) after a watch event before reading, to gather a burst into one batch. Default 0. */
  readonly batchDelay?: number | undefined;
  /** A rotated-away file is read until it has had no new line for this long (ms), for writers that reopen late. Default 5000. */
  readonly drainTime?: number | undefined;
  /** Descriptors this tail may take. Default: the process's ({@link processFileBudget}). */
  readonly budget?: OpenFileBudget | undefined;
}

interface Draining {
  readonly file: OpenLogFile;
  readonly watcher: FSWatcher | undefined;
  /** Closed after this time (ms); pushed back whenever the file still grows. */
  until: number;
}

/**
 * Follows one path across rotation. On a rename or delete it reads the old descriptor to its end and keeps
 * reading it until it has had no new line for `drainTime` (writers reopen their log only when told to), then
 * opens the new file at the path from 0 — whether it is there at once or appears later. A size below our
 * offset (copytruncate) — or a changed first line, checked before each read and on timer polls — starts over
 * at 0. A path that is missing or unreadable is reported once per change of state and retried.
 *
 * The position (key: the path) is saved after every delivered batch: the current file's, or while the path
 * has no file yet, the rotated-away one's. The stored position is consulted only for the first file this tail
 * opens (a restart); a file rotated while we were stopped is finished first ({@link findRotated}). After that,
 * the file we rotated away from is ours to drain, so it is never looked up again: reading its rest twice
 * is what double-counted the lines a writer appended to it after the rename.
 */
export class FileTail {
  private current: OpenLogFile | undefined;
  private watcher: FSWatcher | undefined;
  private readonly draining: Draining[] = [];
  private buffer: Buffer | undefined;
  private startAt: StartAt;
  private state = 'new';
  /** A file was opened at the path: later files there are new logs, not the one the stored position names. */
  private followed = false;
  private busy = false;
  private again = false;
  private closed = false;
  private delayTimer: NodeJS.Timeout | undefined;
  /** Over-long lines cut so far. */
  private truncated = 0;

  private readonly budget: OpenFileBudget;

  constructor(private readonly options: FileTailOptions) {
    this.startAt = options.startAt;
    this.budget = options.budget ?? processFileBudget();
  }

  get path(): string {
    return this.options.path;
  }

  /** True when the path does not exist and nothing of it is still being read. */
  get gone(): boolean {
    return !this.current && this.draining.length === 0 && this.state !== 'ok';
  }

  /** Open (resuming from the stored position when it is the same file) and start watching. */
  async start(): Promise<void> {
    await this.poll();
    // From now on a file appearing at the path is a new log: read it from its start.
    this.startAt = 'start';
  }

  /** A watch event: read now (or after `batchDelay`). */
  notify(): void {
    const delay = this.options.batchDelay ?? 0;
    if (delay <= 0) {
      void this.poll();
    } else {
      this.delayTimer ??= setTimeout(() => {
        this.delayTimer = undefined;
        void this.poll();
      }, delay);
    }
  }

  /** Check the path and read what is new. `thorough` (timer polls) re-checks the first line even when the size did not change. */
  async poll(thorough = false): Promise<void> {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.again = false;
        await this.step(thorough);
      } while (this.again && !this.closed);
    } catch (error) {
      if (this.closed) return; // the descriptor was closed under a read by stop()
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      this.report(`error:${code}`, `cannot read ${this.path}: ${code}; retrying`);
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.delayTimer);
    this.watcher?.close();
    this.watcher = undefined;
    for (const d of this.draining.splice(0)) {
      d.watcher?.close();
      await this.closeFile(d.file);
    }
    if (this.current) await this.closeFile(this.current);
    this.current = undefined;
  }

  private async step(thorough: boolean): Promise<void> {
    await this.drain();
    let st: Stats | undefined;
    try {
      st = await stat(this.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') this.report('missing', `${this.path} does not exist; waiting for it`);
      else this.report(`error:${code}`, `cannot read ${this.path}: ${code}; retrying`);
    }
    if (st && !st.isFile()) {
      this.report('not-a-file', `${this.path} is not a regular file; waiting for a file there`);
      st = undefined;
    }
    const current = this.current;
    if (current && (!st || st.ino !== current.ino || st.dev !== current.dev)) {
      await this.retire(current);
      if (st)
        this.options.logger.info(
          { path: this.path },
          `${this.path} was rotated; reading the new file from its start`,
        );
    }
    if (!st) return;
    if (!this.current) {
      await this.openPath();
    } else if (st.size < this.current.offset) {
      this.options.logger.info({ path: this.path }, `${this.path} was truncated; reading it from the start`);
      this.current.restart();
    } else if (st.size === this.current.offset && !thorough) {
      return;
    } else if (
      this.current.headHash !== undefined &&
      (await headHash(this.current.handle)) !== this.current.headHash
    ) {
      // Truncated and refilled past our offset before we looked (or replaced by a copy): one 512-byte read
      // per poll is what it costs to never read from the middle of someone else's line.
      this.options.logger.info(
        { path: this.path },
        `${this.path} was rewritten in place; reading it from the start`,
      );
      this.current.restart();
    } else if (st.size === this.current.offset) {
      return;
    }
    if (this.current) await this.read(this.current, true);
  }

  private async openPath(): Promise<void> {
    if (!(await this.takeDescriptor())) {
      this.report('no-fd', `${this.path} is not read: no file descriptor is left under the open-file limit; retrying`);
      return;
    }
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      this.budget.give();
      throw error;
    }
    let file: OpenLogFile;
    let size: number;
    try {
      const st = await handle.stat();
      size = st.size;
      file = new OpenLogFile(handle, st.dev, st.ino);
      file.headHash = await headHash(handle);
    } catch (error) {
      await handle.close().catch(() => {});
      this.budget.give();
      throw error;
    }
    const resuming = !this.followed;
    // At the first open, where the last run stopped; later, the file just rotated away (draining now).
    const previous = resuming ? this.options.positions?.getPosition(this.path) : this.retiredPosition();
    const sameFile =
      previous !== undefined &&
      previous.dev === file.dev &&
      previous.ino === file.ino &&
      previous.headHash === file.headHash;
    const moved = previous?.headHash !== undefined && previous.headHash === file.headHash;
    if ((sameFile || moved) && (previous?.offset ?? 0) <= size) {
      file.seek(previous?.offset ?? 0);
    } else if (previous && resuming) {
      // The file changed identity since the last run: it is the newer log, so all of it is unread. What
      // the old one got after we stopped is read first, if it was only renamed.
      this.options.logger.info(
        { path: this.path },
        `${this.path} is not the file read last time; reading it from the start`,
      );
      const rotated = await findRotated(this.path, previous);
      if (rotated) await this.finishRotated(rotated, previous);
    } else if (!previous && this.startAt === 'end') {
      file.seek(size);
    }
    this.followed = true;
    this.current = file;
    this.report('ok', `reading ${this.path}`);
    this.watcher = this.watchFile();
    this.save(file);
  }

  /** The position reached in the file most recently rotated away from. */
  private retiredPosition(): SourcePosition | undefined {
    const last = this.draining.at(-1)?.file;
    return last && { offset: last.committed, dev: last.dev, ino: last.ino, headHash: last.headHash };
  }

  /** Read the rest of the file we followed last time, renamed by rotation while we were stopped. */
  private async finishRotated(path: string, stored: SourcePosition): Promise<void> {
    // A second descriptor for a moment, once per tail at start: taken even when the budget is spent.
    this.budget.take(true);
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      this.budget.give();
      throw error;
    }
    // Only read, never saved as a position: its device and inode are not needed.
    const file = new OpenLogFile(handle, 0, 0);
    try {
      file.headHash = await headHash(handle);
      if (stored.headHash !== undefined && file.headHash !== stored.headHash) return;
      this.options.logger.info(
        { path: this.path, rotated: path },
        `reading the rest of ${path} (rotated while stopped) first`,
      );
      file.seek(stored.offset ?? 0);
      await this.read(file, false);
      this.emit(file.flush(), undefined);
    } finally {
      await this.closeFile(file);
    }
  }

  /** The path now names another file (or none): finish the old one, keep an eye on it for late writes. */
  private async retire(file: OpenLogFile): Promise<void> {
    // Saved as the path's position until a new file is opened there: a restart in the gap resumes here.
    await this.read(file, true);
    this.draining.push({ file, watcher: this.watcher, until: Date.now() + this.drainTime });
    this.watcher = undefined;
    this.current = undefined;
  }

  private get drainTime(): number {
    return this.options.drainTime ?? 5000;
  }

  private async drain(): Promise<void> {
    const now = Date.now();
    for (const d of [...this.draining]) {
      const latest = !this.current && d === this.draining.at(-1);
      if ((await this.read(d.file, latest)) > 0) d.until = now + this.drainTime;
      if (now < d.until && !this.closed) continue;
      this.draining.splice(this.draining.indexOf(d), 1);
      d.watcher?.close();
      this.emit(d.file.flush(), latest ? d.file : undefined);
      await this.closeFile(d.file);
      this.options.logger.debug({ path: this.path }, `stopped reading the file rotated away from ${this.path}`);
    }
  }

  /**
   * One descriptor from the budget. When it is spent, the oldest rotated-away file still being drained is
   * finished and closed to make room: its late lines are lost, but the current log of every tail is read.
   */
  private async takeDescriptor(): Promise<boolean> {
    while (!this.budget.take()) {
      const oldest = this.draining.shift();
      if (!oldest) return false;
      await this.read(oldest.file, false);
      oldest.watcher?.close();
      this.emit(oldest.file.flush(), undefined);
      await this.closeFile(oldest.file);
    }
    return true;
  }

  private async closeFile(file: OpenLogFile): Promise<void> {
    await file.close();
    this.budget.give();
  }

  /** Read what is new in `file`; returns the bytes read. */
  private async read(file: OpenLogFile, savePosition: boolean): Promise<number> {
    this.buffer ??= Buffer.allocUnsafe(CHUNK);
    const truncatedBefore = file.truncatedLines;
    const bytes = await file.readNew(this.buffer, (lines) => this.emit(lines, savePosition ? file : undefined));
    if (file.truncatedLines > truncatedBefore) this.countTruncated(file.truncatedLines - truncatedBefore);
    return bytes;
  }

  /** Over-long lines are cut (by the splitter) and counted; the log says so at 1, 10, 100, … of them. */
  private countTruncated(n: number): void {
    const before = this.truncated;
    this.truncated += n;
    if (Math.floor(Math.log10(this.truncated)) > Math.floor(Math.log10(before || 0.1))) {
      this.options.logger.warn(
        { path: this.path, truncated: this.truncated },
        `${this.path}: ${this.truncated} line(s) longer than ${MAX_LINE_LENGTH} characters were cut to that length`,
      );
    }
  }

  private emit(lines: string[], positionOf: OpenLogFile | undefined): void {
    if (lines.length) {
      try {
        // In slices, as every source hands lines on (see deliverSliced); the position is saved after the last.
        deliverSliced(lines, (slice) => this.options.deliver(slice, this.path));
      } catch (error) {
        // The sink isolates jails already; whatever still escapes must not stop the tail or its position.
        this.options.logger.error(
          { err: error, path: this.path },
          `error while handling lines of ${this.path}`,
        );
      }
    }
    if (positionOf) this.save(positionOf);
  }

  private save(file: OpenLogFile): void {
    this.options.positions?.setPosition(this.path, {
      offset: file.committed,
      dev: file.dev,
      ino: file.ino,
      headHash: file.headHash,
    });
  }

  private watchFile(): FSWatcher | undefined {
    try {
      const watcher = watch(this.path, { persistent: false }, () => this.notify());
      watcher.on('error', () => watcher.close());
      return watcher;
    } catch {
      // Out of inotify watches: the stat poll still follows the file, only slower.
      return undefined;
    }
  }

  /** Log a change of state once (missing, unreadable, readable again), not on every retry. */
  private report(state: string, message: string): void {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    if (state !== 'ok') this.options.logger.warn({ path: this.path }, message);
    else if (previous !== 'new')
      this.options.logger.info({ path: this.path }, `${this.path} is readable now`);
  }
}
