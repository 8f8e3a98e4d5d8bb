import { write } from 'node:fs';

/** Bytes of a quoted ISO time: `"2005-02-25T13:34:10.000Z"`. */
const ISO_BYTES = 26;

/**
 * Size of one output buffer. A run holds a few (one filling, some queued for the writer, some free), and
 * larger ones only add to the peak RSS: 256 KiB is still only one write call per thousands of records.
 */
const OUT_CHUNK = 256 * 1024;

/**
 * JSON-lines output for `test-filter --json`, written byte by byte into 256 KiB buffers: no record string is
 * built, joined or encoded, which at hundreds of thousands of records a second is most of what output
 * costs. A full buffer is handed to the stream (waiting for it to drain) and goes back to a free list once
 * written, so a run reuses two or three buffers. Output is pure ASCII: other characters are `\uXXXX`.
 */
export class JsonLinesOutput {
  private buffer: Buffer;
  private used = 0;
  private pending: Buffer[] = [];
  private readonly free: Buffer[] = [];

  private readonly sink: BufferSink;
  /** The last time {@link isoTime} computed, and its quoted text. */
  private lastTime = Number.NaN;
  private readonly lastIso = new Uint8Array(ISO_BYTES);

  /**
   * @param target a stream, or a file descriptor (stdout): written from the thread pool, so the run goes on
   * matching while a slow reader (a pipe) takes its time.
   */
  constructor(target: NodeJS.WritableStream | number) {
    this.buffer = Buffer.allocUnsafe(OUT_CHUNK);
    this.sink = typeof target === 'number' ? new FdSink(target) : new StreamSink(target);
  }

  /** True once the reader went away (EPIPE, a closed stream): the run can stop. */
  get closed(): boolean {
    return this.sink.closed;
  }

  /**
   * Makes room for a record of at most `bytes` bytes (escaping included: 6 bytes per character of text
   * that may need it, plus the fixed parts). Records larger than a buffer get a buffer of their own.
   */
  begin(bytes: number): void {
    if (this.used + bytes <= this.buffer.length) return;
    this.rotate();
    if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(bytes);
  }

  /** Text known to be plain printable ASCII without `"` or `\` (keys, punctuation, ISO times). */
  ascii(text: string): void {
    const b = this.buffer;
    let o = this.used;
    for (let i = 0; i < text.length; i++) b[o++] = text.charCodeAt(i);
    this.used = o;
  }

  /**
   * `{"lineno":N,"filter":"…","host":"…","time":"…"` and `,"user":"…"` when there is a user: the fixed
   * start of a test-filter record in one call (the caller adds its other fields and the closing brace).
   */
  openRecord(lineno: number, filter: string, host: string, time: number, user: string | undefined): void {
    this.ascii('{"lineno":');
    this.integer(lineno);
    this.ascii(',"filter":');
    this.string(filter);
    this.ascii(',"host":');
    this.string(host);
    this.ascii(',"time":');
    this.isoTime(time);
    if (user !== undefined) {
      this.ascii(',"user":');
      this.string(user);
    }
  }

  /** A non-negative integer. */
  integer(n: number): void {
    // Digits written in place: `String(n)` would allocate a string per record.
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const b = this.buffer;
    let o = this.used + digits;
    this.used = o;
    let v = n;
    do {
      const q = Math.floor(v / 10);
      b[--o] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  /** A JSON string, quoted and escaped. */
  string(text: string): void {
    const b = this.buffer;
    let o = this.used;
    b[o++] = 34;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 32 && c < 127 && c !== 34 && c !== 92) {
        b[o++] = c;
        continue;
      }
      if (c === 34 || c === 92) {
        b[o++] = 92;
        b[o++] = c;
      } else if (c === 10) {
        b[o++] = 92;
        b[o++] = 110;
      } else if (c === 9) {
        b[o++] = 92;
        b[o++] = 116;
      } else if (c === 13) {
        b[o++] = 92;
        b[o++] = 114;
      } else {
        b[o++] = 92;
        b[o++] = 117;
        b[o++] = HEX[c >> 12]!;
        b[o++] = HEX[(c >> 8) & 15]!;
        b[o++] = HEX[(c >> 4) & 15]!;
        b[o++] = HEX[c & 15]!;
      }
    }
    b[o++] = 34;
    this.used = o;
  }

  /**
   * A time as a quoted ISO 8601 UTC string (`"2005-02-25T13:34:10.000Z"`, what `toISOString` gives) or
   * `null` when it is not finite; computed with integer arithmetic, no Date and no string per record.
   */
  isoTime(t: number): void {
    // Log lines come many to a second: the last time's text is copied rather than computed again.
    if (t === this.lastTime) {
      const b = this.buffer;
      const last = this.lastIso;
      let o = this.used;
      for (let k = 0; k < ISO_BYTES; k++) b[o++] = last[k]!;
      this.used = o;
      return;
    }
    if (!Number.isFinite(t)) {
      this.ascii('null');
      return;
    }
    const day = Math.floor(t / 86_400_000);
    let ms = t - day * 86_400_000;
    // Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil, inverted).
    const z = day + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    if (y < 0 || y > 9999) {
      this.string(new Date(t).toISOString());
      return;
    }
    const h = Math.floor(ms / 3_600_000);
    ms -= h * 3_600_000;
    const mi = Math.floor(ms / 60_000);
    ms -= mi * 60_000;
    const sec = Math.floor(ms / 1000);
    ms -= sec * 1000;
    const b = this.buffer;
    let o = this.used;
    b[o++] = 34;
    o = digits(b, o, y, 4);
    b[o++] = 45;
    o = digits(b, o, m, 2);
    b[o++] = 45;
    o = digits(b, o, d, 2);
    b[o++] = 84;
    o = digits(b, o, h, 2);
    b[o++] = 58;
    o = digits(b, o, mi, 2);
    b[o++] = 58;
    o = digits(b, o, sec, 2);
    b[o++] = 46;
    o = digits(b, o, Math.floor(ms), 3);
    b[o++] = 90;
    b[o++] = 34;
    for (let k = 0; k < ISO_BYTES; k++) this.lastIso[k] = b[this.used + k]!;
    this.lastTime = t;
    this.used = o;
  }

  /** Moves the filled part of the buffer to the pending list and starts a fresh (or recycled) one. */
  private rotate(): void {
    if (this.used > 0) this.pending.push(this.buffer.subarray(0, this.used));
    else if (this.buffer.length === OUT_CHUNK) this.free.push(this.buffer);
    this.buffer = this.free.pop() ?? Buffer.allocUnsafe(OUT_CHUNK);
    this.used = 0;
  }

  /** Writes out what is buffered when a buffer has filled up, or half of the current one. */
  async flushIfFull(): Promise<void> {
    if (this.pending.length > 0 || this.used >= OUT_CHUNK / 2) await this.flush();
  }

  /** Hands every filled buffer to the sink; `end`: also waits until all of it is written. */
  async flush(end = false): Promise<void> {
    this.rotate();
    const parts = this.pending;
    this.pending = [];
    for (const part of parts) {
      const whole = part.buffer.byteLength === OUT_CHUNK && part.byteOffset === 0 ? Buffer.from(part.buffer, 0, OUT_CHUNK) : undefined;
      await this.sink.write(part, () => {
        if (whole !== undefined && this.free.length < 4) this.free.push(whole);
      });
    }
    if (end) await this.sink.end();
  }
}

/** Where filled buffers go. `write` resolves when the sink can take more; `written` runs once a buffer is out. */
interface BufferSink {
  readonly closed: boolean;
  write(buffer: Buffer, written: () => void): Promise<void>;
  end(): Promise<void>;
}

class StreamSink implements BufferSink {
  closed = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      this.closed = true;
    });
  }

  async write(buffer: Buffer, written: () => void): Promise<void> {
    if (this.closed) return;
    const ok = this.stream.write(buffer, (err) => {
      if (!err) written();
    });
    if (!ok) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.once('drain', done);
        this.stream.once('error', done);
        this.stream.once('close', done);
      });
    } else {
      // A stream that wrote synchronously (a file) calls back on the next tick, which a run of resolved
      // awaits never reaches: give it that turn, or written buffers pile up instead of being reused.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async end(): Promise<void> {}
}

/**
 * Writes buffers to a file descriptor with `fs.write`, one at a time and in order, from the thread pool:
 * a blocking pipe write stalls a pool thread, not the run. EAGAIN (a non-blocking pipe) is retried shortly.
 */
class FdSink implements BufferSink {
  closed = false;
  private readonly queue: { buffer: Buffer; written: () => void }[] = [];
  private busy = false;
  private wake: (() => void) | undefined;

  constructor(private readonly fd: number) {}

  async write(buffer: Buffer, written: () => void): Promise<void> {
    if (this.closed) return;
    // Double buffering: one buffer in the writer's hands while the run fills the next. A deeper queue
    // gains nothing (the reader sets the pace) and measurably raised the peak RSS of a run.
    while (this.queue.length > 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.closed) return;
    this.queue.push({ buffer, written });
    if (!this.busy) this.next();
  }

  async end(): Promise<void> {
    while ((this.busy || this.queue.length > 0) && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
  }

  private next(): void {
    const item = this.queue[0];
    if (item === undefined || this.closed) {
      this.busy = false;
      this.notify();
      return;
    }
    this.busy = true;
    this.writeFrom(item.buffer, 0, () => {
      this.queue.shift();
      item.written();
      this.notify();
      this.next();
    });
  }

  private writeFrom(buffer: Buffer, offset: number, done: () => void): void {
    write(this.fd, buffer, offset, buffer.length - offset, null, (err, n) => {
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(buffer, offset, done), 1);
          return;
        }
        // EPIPE and the like: the reader is gone; nothing more will be written.
        this.closed = true;
        this.queue.length = 0;
        this.busy = false;
        this.notify();
        return;
      }
      if (offset + n < buffer.length) this.writeFrom(buffer, offset + n, done);
      else done();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** Writes `value` as exactly `width` decimal digits at `o`; returns the index after them. */
function digits(b: Buffer, o: number, value: number, width: number): number {
  let v = value;
  for (let k = o + width - 1; k >= o; k--) {
    const q = Math.floor(v / 10);
    b[k] = 48 + (v - q * 10);
    v = q;
  }
  return o + width;
}

const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
