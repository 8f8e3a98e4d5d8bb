import { MAX_LINE_LENGTH } from '../contract/limits.js';

/** Called with a complete line `buf[start, end)`: no newline, no trailing `\r`; read it before returning. */
export type OnByteLine = (buf: Buffer, start: number, end: number) => void;
/** Called with a line that was cut to the maximum length, already decoded. */
export type OnTextLine = (text: string) => void;

/**
 * Cuts a byte stream into lines without decoding it, so a reader can look at a line's bytes before
 * deciding whether it is worth a string ({@link LineSplitter} decodes everything). The lines are the same
 * as {@link LineSplitter}'s: a trailing `\r` is dropped, a line longer than the maximum is cut to that
 * many characters and counted in {@link truncated}, a last line without a newline comes out at `flush`.
 */
export class ByteLineCutter {
  /** Lines that were cut to the maximum length. */
  truncated = 0;
  private readonly max: number;
  /** Bytes kept of a line cut by a chunk boundary: enough for `max` characters of any width. */
  private readonly keep: number;
  private carry: Buffer = Buffer.allocUnsafe(4096);
  private carried = 0;
  /** True while dropping the rest of an over-long line. */
  private skipping = false;

  constructor(options?: { maxLineLength?: number }) {
    this.max = options?.maxLineLength ?? MAX_LINE_LENGTH;
    // A character takes at most 4 bytes, so this many bytes hold more than `max` UTF-16 units.
    this.keep = 4 * this.max + 4;
  }

  /** Feeds a chunk: each line it completes goes to `onLine` (or, cut, to `onText`). */
  push(chunk: Buffer, onLine: OnByteLine, onText: OnTextLine): void {
    let s = 0;
    if (this.carried > 0 || this.skipping) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.hold(chunk, 0, chunk.length);
        return;
      }
      this.hold(chunk, 0, nl);
      this.emitCarry(onLine, onText);
      s = nl + 1;
    }
    for (let nl = chunk.indexOf(10, s); nl !== -1; nl = chunk.indexOf(10, s)) {
      this.emit(chunk, s, nl, onLine, onText);
      s = nl + 1;
    }
    if (s < chunk.length) this.hold(chunk, s, chunk.length);
  }

  /** End of input: the last line, if it had no newline. */
  flush(onLine: OnByteLine, onText: OnTextLine): void {
    if (this.carried > 0 || this.skipping) this.emitCarry(onLine, onText);
  }

  private emit(buf: Buffer, start: number, end: number, onLine: OnByteLine, onText: OnTextLine): void {
    if (end - start > this.max) {
      // Bytes are not characters: only the decoded text tells whether the line is too long.
      const text = buf.toString('utf8', start, Math.min(end, start + this.keep));
      if (text.length > this.max) {
        this.truncated++;
        onText(withoutCr(text.slice(0, this.max)));
        return;
      }
    }
    onLine(buf, start, end > start && buf[end - 1] === 13 ? end - 1 : end);
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    if (this.skipping) return;
    let n = end - start;
    if (this.carried + n > this.keep) {
      n = this.keep - this.carried;
      this.skipping = true;
    }
    if (this.carried + n > this.carry.length) {
      const bigger = Buffer.allocUnsafe(
        Math.min(this.keep, Math.max(2 * this.carry.length, this.carried + n)),
      );
      this.carry.copy(bigger, 0, 0, this.carried);
      this.carry = bigger;
    }
    chunk.copy(this.carry, this.carried, start, start + n);
    this.carried += n;
  }

  private emitCarry(onLine: OnByteLine, onText: OnTextLine): void {
    const n = this.carried;
    this.carried = 0;
    this.skipping = false;
    this.emit(this.carry, 0, n, onLine, onText);
  }
}

function withoutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
