import { connect } from 'node:net';
import { CONTROL_PROTOCOL_VERSION, type ControlCommand, type ControlErrorBody, type ControlResponse } from './control-protocol.js';
import { LineReader } from './line-reader.js';

/** Nothing answers on the socket: no socket file, nothing listening, or no permission to connect. */
export class NoDaemonError extends Error {
  constructor(
    readonly socketPath: string,
    reason: string,
  ) {
    super(`no Portcullis daemon answers on ${socketPath}: ${reason}`);
    this.name = 'NoDaemonError';
  }
}

/** A daemon accepted the connection, but its answer did not arrive whole: the message says what happened. */
export class BrokenAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokenAnswerError';
  }
}

/** Receives a list answer as it arrives (see `stream` in docs/control-protocol.md). */
export interface ListSink {
  /** The result without its list; `field` is the key the list belongs in (`''`: the result is the list). */
  head(result: unknown, field: string): void;
  part(items: readonly unknown[]): void;
}

/** Options of {@link request}. */
export interface RequestOptions {
  /** Give up when the daemon sends nothing for this long (default 30 s); a long answer that keeps coming never times out. */
  readonly timeoutMs?: number | undefined;
  /** Ask for a list answer in parts and hand them here as they come, instead of one line. */
  readonly sink?: ListSink | undefined;
}

let nextId = 1;

/**
 * Send one request on the control socket and wait for its response (the line with the same id). Rejects
 * with {@link NoDaemonError} when the connection cannot be made, and with {@link BrokenAnswerError} when a
 * daemon accepted it but the answer did not come whole (silence, a closed connection, a line that is not
 * JSON, parts missing). With a `sink`, a list answer comes in parts; the response resolved carries the head
 * (the list went to the sink).
 */
export function request(socketPath: string, cmd: ControlCommand, args: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<ControlResponse> {
  const id = nextId++;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const sink = options.sink;
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const reader = new LineReader();
    let connected = false;
    let received = 0;
    let streamed = -1; // items received of a list answer in parts; -1 before its head
    let head: ControlResponse | undefined;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const broken = (why: string) => settle(() => reject(new BrokenAnswerError(`the daemon on ${socketPath} ${why}`)));
    const silence = () => {
      if (!connected) settle(() => reject(new NoDaemonError(socketPath, `no connection within ${timeoutMs / 1000} s`)));
      else if (received === 0) broken(`accepted the connection but sent no answer within ${timeoutMs / 1000} s (busy, or hung?)`);
      else broken(`stopped sending in the middle of its answer: ${bytes(received)} received, then nothing for ${timeoutMs / 1000} s`);
    };
    let timer = setTimeout(silence, timeoutMs);
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, cmd, args, ...(sink ? { stream: true } : {}) })}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      clearTimeout(timer);
      timer = setTimeout(silence, timeoutMs);
      for (const line of reader.push(chunk)) {
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return broken(`sent a line that is not JSON: ${line.slice(0, 200)}`);
        }
        // id 0: the daemon could not read our id (a framing error); answer it anyway.
        if (message.id !== id && message.id !== 0) continue;
        if (streamed < 0) {
          const response = message as unknown as ControlResponse;
          if (!sink || !response.ok || typeof message.stream !== 'string') return settle(() => resolve(response));
          head = response;
          streamed = 0;
          sink.head(response.result, message.stream);
        } else if (Array.isArray(message.part)) {
          streamed += message.part.length;
          sink?.part(message.part);
        } else if (message.end !== undefined) {
          const end = message as { end: { items: number }; error?: ControlErrorBody };
          if (end.error) return settle(() => resolve({ v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: end.error! }));
          if (end.end.items !== streamed) return broken(`announced ${end.end.items} item(s) but sent ${streamed}`);
          return settle(() => resolve(head!));
        }
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (connected) return broken(`dropped the connection (${error.code ?? error.message}) after ${bytes(received)} of answer`);
      const reason =
        error.code === 'ENOENT'
          ? 'socket does not exist'
          : error.code === 'ECONNREFUSED'
            ? 'nothing listening'
            : error.code === 'EACCES'
              ? 'permission denied (the socket is root-only)'
              : error.code === 'EAGAIN'
                ? 'its connection queue is full'
                : error.message;
      settle(() => reject(new NoDaemonError(socketPath, reason)));
    });
    socket.once('close', () => {
      if (!connected) return settle(() => reject(new NoDaemonError(socketPath, 'connection closed before it was made')));
      broken(received === 0 ? 'closed the connection without answering' : `closed the connection in the middle of its answer, after ${bytes(received)}`);
    });
  });
}

function bytes(n: number): string {
  return n < 1024 * 1024 ? `${n} bytes` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
