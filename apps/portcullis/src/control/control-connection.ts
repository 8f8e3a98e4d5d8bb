import type { Socket } from 'node:net';
import { type ListAnswer, errorBody } from './control-dispatch.js';
import { CONTROL_PROTOCOL_VERSION, type ControlResponse } from './control-protocol.js';

/** A client that reads nothing of an answer for this long is cut off, so its answer stops holding memory. */
const STALL_MS = 30_000;

/** Write text to the connection; resolves once it may write more (or when it is gone). Never rejects. */
export type Send = (text: string) => Promise<void>;

/**
 * One client connection: what it has in flight (a connection running a command is never closed as idle),
 * when it was last active, and its answers, written one after another with backpressure: an answer is
 * produced only as fast as the client reads it, so a million bans never sit in the daemon's memory.
 */
export class ControlConnection {
  /** Requests read whose answers are not written yet. */
  inFlight = 0;
  lastActive = Date.now();
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly socket: Socket) {}

  /** True when nothing runs for this connection: it may be closed to make room, or when idle too long. */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** Write one whole answer after those before it (the lines of two answers never mix). */
  answer<T>(write: (send: Send) => Promise<T>): Promise<T> {
    const run = this.turn.then(() => write((text) => this.send(text)));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private send(text: string): Promise<void> {
    const s = this.socket;
    if (s.destroyed || !s.writable) return Promise.resolve();
    this.lastActive = Date.now();
    if (s.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      const timer = setTimeout(() => {
        s.destroy();
        done();
      }, STALL_MS);
      s.on('drain', done);
      s.on('close', done);
    });
  }
}

/** A response as its line. */
export function lineOf(response: ControlResponse): string {
  return `${JSON.stringify(response)}\n`;
}

/**
 * Write a list answer. Asked for in parts (`stream`): the head line, a `part` line per part, an `end` line
 * with the count. Otherwise the same result as one line, written a part at a time. Either way the parts are
 * consumed to the end even when the client has gone: they may be doing the work (`unban --all` lifts a batch
 * per part). Resolves with the error that broke the answer off, if one did (the client learns it from an
 * `end` line with an error, or, in one line, from the line cut short).
 */
export async function writeListAnswer(send: Send, socket: Socket, id: number, answer: ListAnswer, stream: boolean): Promise<unknown> {
  const v = CONTROL_PROTOCOL_VERSION;
  let items = 0;
  await send(stream ? `${JSON.stringify({ v, id, ok: true, result: answer.head ?? [], stream: answer.field })}\n` : `{"v":${v},"id":${id},"ok":true,"result":${openList(answer)}`);
  try {
    for await (const part of answer.parts) {
      if (part.length === 0) continue;
      const json = JSON.stringify(part);
      await send(stream ? `{"v":${v},"id":${id},"part":${json}}\n` : `${items ? ',' : ''}${json.slice(1, -1)}`);
      items += part.length;
    }
  } catch (error) {
    if (stream) await send(`${JSON.stringify({ v, id, end: { items }, error: errorBody(error) })}\n`);
    else socket.destroy();
    return error;
  }
  await send(stream ? `{"v":${v},"id":${id},"end":{"items":${items}}}\n` : `]${answer.field ? '}' : ''}}\n`);
  return undefined;
}

/** The one-line result up to the opening bracket of its list: the list is the result's last key. */
function openList(answer: ListAnswer): string {
  if (answer.field === '') return '[';
  const head = JSON.stringify(answer.head ?? {});
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(answer.field)}:[`;
}
