import { StringDecoder } from 'node:string_decoder';

import { LINE_SLICE, MAX_LINE_LENGTH } from '../contract/limits.js';

export { MAX_LINE_LENGTH };

/**
 * Bytes decoded into one string at a time. V8 puts strings over ~128 KiB in its large-object space, which
 * only a full GC frees, and every line sliced from such a string keeps all of it alive: decoding a big read
 * in pieces this size keeps the text in the young generation and bounds what a kept line can retain. With
 * {@link LineSplitter.each}, a piece's lines are handled before the next piece is decoded, so a piece
 * lives for a fraction of what is allocated between two young-generation GCs and is never promoted.
 */
const DECODE_PIECE = 16 * 1024;

/**
 * Splits a byte stream into lines. Reads arrive in large chunks; a multi-byte character or a line cut by a
 * chunk boundary is carried over. Invalid UTF-8 becomes U+FFFD, a trailing `\r` is dropped.
 */
export class LineSplitter {
  /** Lines that were cut to {@link MAX_LINE_LENGTH} (or the configured maximum). */
  truncated = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly max: number;
  private partial = '';
  /** Where {@link each} hands the lines it cuts, and the lines waiting to go. */
  private deliver: ((lines: string[]) => void) | undefined;
  private out: string[] = [];
  /** True while skipping the rest of an over-long line. */
  private skipping = false;

  constructor(options?: { maxLineLength?: number }) {
    this.max = options?.maxLineLength ?? MAX_LINE_LENGTH;
  }

  /** Feed a chunk; returns the complete lines it finished (without newline). */
  push(chunk: Buffer | string): string[] {
    const all: string[] = [];
    this.each(chunk, (lines) => {
      for (const line of lines) all.push(line);
    });
    return all;
  }

  /**
   * Feed a chunk; the complete lines it finished go to `deliver` as they are cut, at most
   * {@link LINE_SLICE} at a time (a new array each time, in order). A read of 256 KiB is thousands of
   * lines: cut all at once, they and their text stayed alive while every one of them was matched, long
   * enough to be promoted to V8's old generation (where only a full GC frees them).
   */
  each(chunk: Buffer | string, deliver: (lines: string[]) => void): void {
    this.deliver = deliver;
    this.out = [];
    try {
      if (typeof chunk === 'string') this.split(chunk);
      else
        for (let at = 0; at < chunk.length; at += DECODE_PIECE)
          this.split(this.decoder.write(chunk.subarray(at, Math.min(chunk.length, at + DECODE_PIECE))));
      if (this.out.length) deliver(this.out);
    } finally {
      this.deliver = undefined;
      this.out = [];
    }
  }

  private split(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      this.take(text, start, nl);
      start = nl + 1;
    }
    if (start < text.length) this.hold(text.slice(start));
  }

  /** A complete line: to the lines waiting, which go once there are {@link LINE_SLICE} of them. */
  private emit(line: string): void {
    this.out.push(line);
    if (this.out.length >= LINE_SLICE) {
      const lines = this.out;
      this.out = [];
      this.deliver?.(lines);
    }
  }

  /** End of input: returns the last line if it had no newline. */
  flush(): string[] {
    const rest = this.decoder.end();
    if (rest) this.hold(rest);
    const out: string[] = [];
    if (this.partial || this.skipping) out.push(this.finish(this.partial));
    this.partial = '';
    this.skipping = false;
    return out;
  }

  /** Bytes-free state check: true when a partial line is buffered. */
  get pending(): boolean {
    return this.partial.length > 0 || this.skipping;
  }

  private take(text: string, start: number, end: number): void {
    if (this.partial || this.skipping) {
      const room = this.max - this.partial.length;
      const line = this.skipping ? this.partial : this.partial + text.slice(start, Math.min(end, start + room));
      if (!this.skipping && end - start > room) this.truncated++;
      this.partial = '';
      this.skipping = false;
      this.emit(this.finish(line));
      return;
    }
    if (end - start > this.max) {
      this.truncated++;
      this.emit(this.finish(text.slice(start, start + this.max)));
      return;
    }
    this.emit(this.finish(text.slice(start, end)));
  }

  private hold(piece: string): void {
    if (this.skipping) return;
    const room = this.max - this.partial.length;
    if (piece.length > room) {
      this.partial += piece.slice(0, room);
      this.truncated++;
      this.skipping = true;
    } else {
      this.partial += piece;
    }
  }

  private finish(line: string): string {
    return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
  }
}
