import { connect } from 'node:net';
import { CONTROL_PROTOCOL_VERSION, type ControlCommand, type ControlResponse } from './control-protocol.js';

/** The daemon did not answer (no socket, nothing listening, permission denied, timeout). */
export class NoDaemonError extends Error {
  constructor(
    readonly socketPath: string,
    reason: string,
  ) {
    super(`no Portcullis daemon answers on ${socketPath}: ${reason}`);
    this.name = 'NoDaemonError';
  }
}

let nextId = 1;

/**
 * Send one request on the control socket and wait for its response (the line with the same id). Rejects
 * with {@link NoDaemonError} when nothing answers within `timeoutMs`.
 */
export function request(socketPath: string, cmd: ControlCommand, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<ControlResponse> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = '';
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(() => settle(() => reject(new NoDaemonError(socketPath, `no answer within ${timeoutMs / 1000} s`))), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id, cmd, args })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let response: ControlResponse;
        try {
          response = JSON.parse(line) as ControlResponse;
        } catch {
          return settle(() => reject(new Error(`the daemon on ${socketPath} sent something that is not JSON: ${line.slice(0, 200)}`)));
        }
        // id 0: the daemon could not read our id (a framing error); answer it anyway.
        if (response.id === id || response.id === 0) return settle(() => resolve(response));
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ENOENT' ? 'socket does not exist' : error.code === 'ECONNREFUSED' ? 'nothing listening' : error.code === 'EACCES' ? 'permission denied (the socket is root-only)' : error.message;
      settle(() => reject(new NoDaemonError(socketPath, reason)));
    });
    socket.once('close', () => settle(() => reject(new NoDaemonError(socketPath, 'connection closed without an answer'))));
  });
}
