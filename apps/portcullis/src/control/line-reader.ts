/**
 * Splits a byte stream into `\n`-terminated lines in linear time: chunks are kept as they arrive and joined
 * once, when the newline that ends them comes (appending each chunk to a string and slicing it per line is
 * quadratic: a 127 MB answer took the client minutes). Lines are decoded as UTF-8 whole, so a character cut
 * between two chunks is never mangled (0x0A never occurs inside a multi-byte character).
 */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Bytes of the line not yet complete. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** The lines this chunk completes (without their `\n`; a `\r` before it is kept). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      if (this.pendingBytes === 0) lines.push(piece.toString('utf8'));
      else {
        this.pending.push(piece);
        lines.push(Buffer.concat(this.pending, this.pendingBytes + piece.length).toString('utf8'));
        this.pending = [];
        this.pendingBytes = 0;
      }
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.pending.push(chunk.subarray(from));
      this.pendingBytes += chunk.length - from;
    }
    return lines;
  }

  /** Forget what is buffered. */
  clear(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
