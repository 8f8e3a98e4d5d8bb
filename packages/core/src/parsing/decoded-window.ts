import { isAscii } from 'node:buffer';

/**
 * Bytes decoded at a time: a few dozen log lines. Every line slice keeps its whole window alive until the
 * next garbage collection, so larger windows only cost memory (64 KiB ones raised peak RSS by 7 MiB).
 */
const WINDOW = 4 * 1024;

/**
 * Decodes the lines of a read buffer a window at a time. A string per line from `buf.toString` is a call
 * into C++ and a copy per line, a large part of reading a log; an ASCII window is instead decoded once
 * (latin1, the same characters as UTF-8 for ASCII) and each line is a slice of it, which V8 makes without
 * copying. Windows with any other byte are left to UTF-8 decoding line by line, so the text is the same.
 *
 * A line slice keeps its window alive: whatever outlives the line goes through `detach` (as for lines cut
 * from a chunk's text, see `detach-string.ts`).
 *
 * A caller may refill the same buffer between calls (one read buffer for a whole file). A window is
 * therefore reused only for a line that starts after the previous one of the same buffer and ends inside
 * it, which is how a line cutter walks a chunk; the first line of a refilled buffer starts before the last
 * line of its previous contents (or comes from another buffer, the cutter's carry), so it decodes anew.
 */
export class DecodedWindow {
  private buf: Uint8Array | undefined;
  /** Where the window starts in `buf`, and ends. */
  private start = 0;
  private end = 0;
  /** Start of the last line read from the window. */
  private last = -1;
  /** The window's text, or undefined when it is not ASCII. */
  private decoded: string | undefined;

  /** `buf[start, end)` as UTF-8 text. */
  text(buf: Buffer, start: number, end: number): string {
    if (buf !== this.buf || start <= this.last || end > this.end) this.decode(buf, start, end);
    this.last = start;
    const decoded = this.decoded;
    return decoded === undefined ? buf.toString('utf8', start, end) : decoded.slice(start - this.start, end - this.start);
  }

  private decode(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.end = Math.max(end, Math.min(buf.length, start + WINDOW));
    this.decoded = isAscii(buf.subarray(start, this.end)) ? buf.toString('latin1', start, this.end) : undefined;
  }
}
