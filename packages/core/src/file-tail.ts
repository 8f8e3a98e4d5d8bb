import { createHash } from 'node:crypto';
import { type FSWatcher, type Stats, watch } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { LineSplitter } from './line-splitter.js';
import type { PositionStore, SourceLine } from './log-source.js';
import type { Logger } from './logger.js';

const CHUNK = 256 * 1024;
const HEAD_BYTES = 512;

/** Where a tail starts when it opens a file it has no stored position for. */
export type StartAt = 'end' | 'start';

/**
 * Follows one file path across rotation. Reads in large chunks from an open descriptor; on rename
 * rotation it finishes the old file before opening the new one; on copytruncate (size below our offset)
 * it starts over at 0; a deleted file is waited for. The position (offset + device/inode + a hash of the
 * first line) is saved after every delivered batch, so a restart neither re-reads nor skips lines.
 */
export class FileTail {
  private handle: FileHandle | undefined;
  private dev = 0;
  private ino = 0;
  private offset = 0;
  /** Offset just after the last complete line: what a restart resumes from. */
  private committed = 0;
  private headHash: string | undefined;
  private splitter = new LineSplitter();
  private readonly buffer = Buffer.allocUnsafe(CHUNK);
  private reading = false;
  private again = false;
  private watcher: FSWatcher | undefined;
  private lastProblem = '';
  private closed = false;

  constructor(
    readonly path: string,
    private readonly deliver: (lines: SourceLine[], origin: string) => void,
    private readonly logger: Logger,
    private readonly positions: PositionStore | undefined,
    private startAt: StartAt,
  ) {}

  /** Open (resuming from the stored position when it is the same file) and start watching. */
  async start(): Promise<void> {
    await this.poll();
    // After the first open, files that appear or re-appear are new logs: read them from the start.
    this.startAt = 'start';
  }

  /** Check the path and read whatever is new; called on watch events and by the poll timer. */
  async poll(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        await this.step();
      } while (this.again && !this.closed);
    } catch (error) {
      this.problem(`cannot read ${this.path}: ${(error as Error).message}`);
    } finally {
      this.reading = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    await this.handle?.close().catch(() => {});
    this.handle = undefined;
  }

  private async step(): Promise<void> {
    let st: Stats | undefined;
    try {
      st = await stat(this.path);
      if (!st.isFile()) {
        this.problem(`${this.path} is not a regular file`);
        st = undefined;
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      this.problem(code === 'ENOENT' ? `${this.path} does not exist (yet); waiting for it` : `cannot stat ${this.path}: ${code}`);
    }
    if (this.handle && (!st || st.ino !== this.ino || st.dev !== this.dev)) {
      // Renamed away or deleted: what was appended to the old file before the switch still counts.
      await this.readToEnd();
      this.flushPartial();
      await this.handle.close().catch(() => {});
      this.handle = undefined;
      this.watcher?.close();
      this.watcher = undefined;
      if (st) this.logger.info({ path: this.path }, `${this.path} was rotated; reading the new file`);
    }
    if (!st) return;
    if (!this.handle) {
      await this.openFile(st.dev, st.ino, st.size);
    } else if (st.size < this.offset) {
      this.logger.info({ path: this.path }, `${this.path} was truncated; reading from the start`);
      this.offset = 0;
      this.committed = 0;
      this.splitter = new LineSplitter();
      this.headHash = undefined;
    }
    await this.readToEnd();
  }

  private async openFile(dev: number, ino: number, size: number): Promise<void> {
    this.handle = await open(this.path, 'r');
    this.dev = dev;
    this.ino = ino;
    this.splitter = new LineSplitter();
    this.headHash = await this.readHeadHash();
    const stored = this.positions?.getPosition(this.key);
    if (stored && stored.ino === ino && stored.dev === dev && stored.headHash === this.headHash && (stored.offset ?? 0) <= size) {
      this.offset = stored.offset ?? 0;
    } else if (stored && stored.headHash !== undefined && stored.headHash === this.headHash && (stored.offset ?? 0) <= size) {
      // Same content under a new inode (copied or moved back): keep the position.
      this.offset = stored.offset ?? 0;
    } else {
      this.offset = this.startAt === 'end' && !stored ? size : 0;
    }
    this.committed = this.offset;
    this.lastProblem = '';
    this.watch();
  }

  private async readToEnd(): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    for (;;) {
      const { bytesRead } = await handle.read(this.buffer, 0, CHUNK, this.offset);
      if (bytesRead === 0) return;
      const lastNl = this.buffer.lastIndexOf(10, bytesRead - 1);
      if (lastNl !== -1) this.committed = this.offset + lastNl + 1;
      this.offset += bytesRead;
      const lines = this.splitter.push(this.buffer.subarray(0, bytesRead));
      if (this.headHash === undefined) this.headHash = await this.readHeadHash();
      if (lines.length) this.emit(lines);
      else this.save();
      if (this.closed) return;
    }
  }

  private flushPartial(): void {
    const rest = this.splitter.flush();
    this.committed = this.offset;
    if (rest.length) this.emit(rest);
  }

  private emit(lines: string[]): void {
    // Deliver first (a ban must not wait for the position write); the engine isolates filter errors per
    // jail, so a line that throws cannot stop the position from moving on.
    try {
      this.deliver(
        lines.map((text) => ({ text })),
        this.path,
      );
    } finally {
      this.save();
    }
  }

  private save(): void {
    this.positions?.setPosition(this.key, { offset: this.committed, dev: this.dev, ino: this.ino, headHash: this.headHash });
  }

  private get key(): string {
    return `file:${this.path}`;
  }

  private async readHeadHash(): Promise<string | undefined> {
    if (!this.handle) return undefined;
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await this.handle.read(head, 0, HEAD_BYTES, 0);
    const nl = head.subarray(0, bytesRead).indexOf(10);
    if (nl === -1 && bytesRead < HEAD_BYTES) return undefined; // no complete first line yet
    return createHash('sha1').update(head.subarray(0, nl === -1 ? bytesRead : nl)).digest('hex');
  }

  private watch(): void {
    try {
      this.watcher = watch(this.path, { persistent: false }, () => void this.poll());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // inotify limits reached: the poll timer still follows the file
    }
  }

  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.logger.warn({ path: this.path }, message);
  }
}
