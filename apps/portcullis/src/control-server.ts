import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { PortcullisError } from '@portcullis/core';
import type { Logger } from '@portcullis/core';
import type { Runtime } from '@portcullis/core/engine';
import { CONTROL_PROTOCOL_VERSION, type ControlRequest, type ControlResponse, MAX_REQUEST_BYTES } from './control-protocol.js';

/** What the server needs from the daemon besides the runtime. */
export interface ControlHandlers {
  /** Re-read the config file and apply it (optionally one jail); throws PortcullisError when invalid. */
  reload(jail?: string): Promise<void>;
  /** Stop the daemon (after the reply is sent). */
  stop(): void;
  readonly version: string;
}

/**
 * The control socket: a Unix socket, mode 0600 in a 0700 folder (root-only when the daemon runs as
 * root), speaking JSON lines. Refuses to start when another daemon already answers on the path; removes a
 * stale socket file otherwise.
 */
export async function startControlServer(path: string, runtime: () => Runtime, handlers: ControlHandlers, logger: Logger): Promise<Server> {
  if (existsSync(path)) {
    if (await answers(path)) {
      throw new PortcullisError('CONFIG_INVALID', `another Portcullis daemon is already running on ${path}`, { hint: 'portcullis stop, or use another socket path' });
    }
    unlinkSync(path);
  }
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = createServer((socket) => serve(socket, runtime, handlers, logger));
  const previous = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  server.on('close', () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  });
  return server;
}

function serve(socket: Socket, runtime: () => Runtime, handlers: ControlHandlers, logger: Logger): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    if (buffer.length > MAX_REQUEST_BYTES && !buffer.includes('\n')) {
      reply(socket, { v: CONTROL_PROTOCOL_VERSION, id: 0, ok: false, error: { code: 'REQUEST_TOO_LARGE', message: `requests are limited to ${MAX_REQUEST_BYTES} bytes` } });
      socket.end();
      buffer = '';
      return;
    }
    for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim()) void handle(line, socket, runtime, handlers, logger);
    }
  });
}

async function handle(line: string, socket: Socket, runtime: () => Runtime, handlers: ControlHandlers, logger: Logger): Promise<void> {
  let req: ControlRequest;
  try {
    req = JSON.parse(line) as ControlRequest;
  } catch {
    reply(socket, { v: CONTROL_PROTOCOL_VERSION, id: 0, ok: false, error: { code: 'BAD_REQUEST', message: 'request is not JSON' } });
    return;
  }
  const id = typeof req.id === 'number' ? req.id : 0;
  if (req.v !== CONTROL_PROTOCOL_VERSION) {
    reply(socket, { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code: 'PROTOCOL_VERSION', message: `client speaks protocol version ${String(req.v)}, this daemon speaks version ${CONTROL_PROTOCOL_VERSION}` } });
    return;
  }
  try {
    const result = await dispatch(req, runtime(), handlers);
    reply(socket, { v: CONTROL_PROTOCOL_VERSION, id, ok: true, result });
    if (req.cmd === 'stop') handlers.stop();
  } catch (error) {
    const e = error as PortcullisError;
    if (!(error instanceof PortcullisError)) logger.error({ err: error, cmd: req.cmd }, 'control command failed');
    reply(socket, { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: { code: e.code ?? 'INTERNAL', message: e.message, ...(e.problems?.length ? { problems: e.problems } : {}) } });
  }
}

async function dispatch(req: ControlRequest, rt: Runtime, handlers: ControlHandlers): Promise<unknown> {
  const args = req.args ?? {};
  const str = (k: string) => (typeof args[k] === 'string' ? (args[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(args[k]) ? (args[k] as unknown[]).map(String) : []);
  switch (req.cmd) {
    case 'ping':
      return { pong: true, version: handlers.version, pid: process.pid };
    case 'status': {
      const jail = str('jail');
      if (jail !== undefined) return rt.jailStatus(jail);
      const jails = rt.jailNames.map((name) => {
        const { banned: _banned, ...summary } = rt.jailStatus(name);
        return summary;
      });
      const totals = jails.reduce(
        (t, j) => ({ currentlyFailed: t.currentlyFailed + j.currentlyFailed, totalFailed: t.totalFailed + j.totalFailed, currentlyBanned: t.currentlyBanned + j.currentlyBanned, totalBanned: t.totalBanned + j.totalBanned }),
        { currentlyFailed: 0, totalFailed: 0, currentlyBanned: 0, totalBanned: 0 },
      );
      return { version: handlers.version, jails, totals };
    }
    case 'ban': {
      const jail = str('jail');
      if (!jail) throw new PortcullisError('JAIL_UNKNOWN', 'ban needs a jail');
      return rt.ban(jail, list('ips'));
    }
    case 'unban':
      return rt.unban(args.all === true ? 'all' : list('ips'), str('jail'));
    case 'banned':
      return rt.banned(str('ip'));
    case 'reload':
      await handlers.reload(str('jail'));
      return { reloaded: true, jails: rt.jailNames };
    case 'stop':
      return { stopping: true };
    default:
      throw new PortcullisError('CONFIG_INVALID', `unknown command ${String((req as { cmd: unknown }).cmd)}`);
  }
}

function reply(socket: Socket, response: ControlResponse): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
}

/** True when something accepts connections on the socket path. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
