import { connect } from 'node:net';
import { CONTROL_PROTOCOL_VERSION, type ControlCommand, type ControlResponse } from './control-protocol.js';

/** The daemon did not answer (no socket, nothing listening, permission denied, timeout). */
export class NoDaemonError extends Error {
  constructor(
    readonly socketPath: string,
    reason: string,
  ) {
    super(`no Portcullis daemon answers on ${socketPath}: ${reason}`);
  }
}

/** Send one request on the control socket and wait for its response. */
export function request(socketPath: string, cmd: ControlCommand, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let buffer = '';
    let answered = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new NoDaemonError(socketPath, `no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, id: 1, cmd, args })}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      answered = true;
      clearTimeout(timer);
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, nl)) as ControlResponse);
      } catch (error) {
        reject(error);
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason = error.code === 'ENOENT' ? 'socket does not exist' : error.code === 'ECONNREFUSED' ? 'nothing listening' : error.code === 'EACCES' ? 'permission denied (the socket is root-only)' : error.message;
      reject(new NoDaemonError(socketPath, reason));
    });
    socket.once('close', () => {
      if (!answered) {
        clearTimeout(timer);
        reject(new NoDaemonError(socketPath, 'connection closed without an answer'));
      }
    });
  });
}
