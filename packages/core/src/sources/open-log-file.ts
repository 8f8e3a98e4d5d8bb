import type { FileHandle } from 'node:fs/promises';
import { headHash } from './head-hash.js';
import { LineSplitter } from './line-splitter.js';

/**
 * One opened log file: its descriptor, identity (device, inode, {@link headHash}), how far we have read
 * and the line splitter holding a partial last line. A file stays readable through its descriptor after
 * it is renamed or deleted, which is what lets a rotated file be read to its end.
 */
export class OpenLogFile {
  /** Next byte to read. */
  offset = 0;
  /** Offset just after the last complete line: where a restart resumes, so a partial line is read whole. */
  committed = 0;
  headHash: string | undefined;
  private splitter = new LineSplitter();

  constructor(
    readonly handle: FileHandle,
    readonly dev: number,
    readonly ino: number,
  ) {}

  /** Lines cut to the maximum line length so far. */
  get truncatedLines(): number {
    return this.splitter.truncated;
  }

  /** Continue from `offset` (a stored position, the end of the file, or 0). */
  seek(offset: number): void {
    this.offset = offset;
    this.committed = offset;
    this.splitter = new LineSplitter();
  }

  /**
   * Read everything appended since the last call, chunk by chunk, handing each chunk's complete lines to
   * `emit` a slice at a time (and `[]` for a chunk without one, so the caller can save the position).
   * Returns the bytes read.
   */
  async readNew(buffer: Buffer, emit: (lines: string[]) => void): Promise<number> {
    let total = 0;
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) return total;
      total += bytesRead;
      const lastNewline = buffer.lastIndexOf(10, bytesRead - 1);
      if (lastNewline !== -1) this.committed = this.offset + lastNewline + 1;
      this.offset += bytesRead;
      if (this.headHash === undefined) this.headHash = await headHash(this.handle);
      // Lines go as they are cut, a slice at a time: none outlives its slice (see LineSplitter.each).
      let emitted = false;
      this.splitter.each(buffer.subarray(0, bytesRead), (lines) => {
        emitted = true;
        emit(lines);
      });
      if (!emitted) emit([]);
      // A short read is the end of the file for now; an append after it raises a new watch event, so
      // this saves the empty read that would otherwise follow every chunk.
      if (bytesRead < buffer.length) return total;
    }
  }

  /** The file was truncated or rewritten in place (copytruncate): start over at 0. */
  restart(): void {
    this.seek(0);
    this.headHash = undefined;
  }

  /** The last line when it has no newline (used once the file is finished: rotated away and drained). */
  flush(): string[] {
    this.committed = this.offset;
    return this.splitter.flush();
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}
