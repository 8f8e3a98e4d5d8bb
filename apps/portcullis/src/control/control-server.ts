import { type Stats, chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { type Server, connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { PortcullisError } from '@portcullis/core';
import type { Logger } from '@portcullis/core';
import { ControlConnection, lineOf, writeListAnswer } from './control-connection.js';
import { type ControlHandlers, type ControlTarget, ListAnswer, dispatch, errorBody, parseRequest } from './control-dispatch.js';
import { CONTROL_PROTOCOL_VERSION, type ControlResponse, MAX_REQUEST_BYTES, ProtocolError } from './control-protocol.js';
import { LineReader } from './line-reader.js';

export type { ControlHandlers, ControlTarget } from './control-dispatch.js';

/** A connection with nothing running closes after this long without a byte (a half-written request too). */
const IDLE_MS = 5_000;
/** Connections served at once; a new one past this closes the connection idle the longest. */
const MAX_CONNECTIONS = 64;

/**
 * Make sure the socket path can be used: throws when another daemon answers on it (so a second daemon
 * refuses to start before touching any firewall), or when something other than a socket is there;
 * removes a stale socket (left by a daemon that was killed). Call it before starting the jails.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let stat: Stats;
  try {
    // Not lstatSync: Node's synchronous stat calls leave their result in one shared array, and its
    // realpathSync (used by require and import, with a cache) reads that array to stop at a socket or a FIFO.
    // After lstatSync of the stale socket a killed daemon leaves, the next lazy import of a package behind a
    // symlink (prom-client under pnpm, for `metrics:`) stopped at the link and could not find the package's
    // own dependencies: "Cannot find module 'tdigest'". The promise API keeps its result to itself.
    stat = await lstat(path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) {
    throw new PortcullisError('CONFIG_INVALID', `the control socket path ${path} exists and is not a socket`, { hint: 'set "socket" in the config to a free path' });
  }
  if (await answers(path)) {
    throw new PortcullisError('CONFIG_INVALID', `another Portcullis daemon is already running on ${path}`, { hint: 'stop it first (portcullis stop), or give this one another "socket" path' });
  }
  unlinkSync(path);
}

/**
 * The control socket: a Unix socket, mode 0600 (created under umask 077, then chmod) in a folder created
 * 0700, so only the daemon's user can talk to it; JSON lines, see docs/control-protocol.md.
 */
export async function startControlServer(path: string, runtime: () => ControlTarget, handlers: ControlHandlers, logger: Logger): Promise<Server> {
  await claimSocketPath(path);
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const open = new Set<ControlConnection>();
  const server = createServer((socket) => {
    if (!makeRoom(open)) {
      socket.end(lineOf(failure(0, new ProtocolError('BUSY', `${MAX_CONNECTIONS} connections are running commands; try again`))));
      return;
    }
    const conn = new ControlConnection(socket);
    open.add(conn);
    socket.once('close', () => open.delete(conn));
    serve(conn, runtime, handlers, logger);
  });
  const previous = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(previous);
  }
  chmodSync(path, 0o600);
  server.on('error', (error) => logger.error({ err: error }, 'control socket error'));
  server.on('close', () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  });
  return server;
}

/**
 * Always keep room for a new client: at the limit, close the connection that has been idle the longest
 * (forgotten `socat` sessions, half-written requests). False when every connection is running a command.
 */
function makeRoom(open: Set<ControlConnection>): boolean {
  if (open.size < MAX_CONNECTIONS) return true;
  let oldest: ControlConnection | undefined;
  for (const c of open) if (c.idle && (oldest === undefined || c.lastActive < oldest.lastActive)) oldest = c;
  if (oldest === undefined) return false;
  open.delete(oldest);
  oldest.socket.destroy();
  return true;
}

/** Split a connection's input into request lines, refusing any line over MAX_REQUEST_BYTES. */
function serve(conn: ControlConnection, runtime: () => ControlTarget, handlers: ControlHandlers, logger: Logger): void {
  const { socket } = conn;
  const reader = new LineReader();
  socket.setTimeout(IDLE_MS, () => {
    if (conn.idle) socket.destroy();
  });
  socket.on('error', () => socket.destroy());
  const tooLarge = () => {
    socket.removeAllListeners('data');
    reader.clear();
    void conn.answer((send) => send(lineOf(failure(0, new ProtocolError('REQUEST_TOO_LARGE', `requests are limited to ${MAX_REQUEST_BYTES} bytes`))))).then(() => socket.end());
  };
  socket.on('data', (chunk: Buffer) => {
    conn.lastActive = Date.now();
    for (const line of reader.push(chunk)) {
      if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return tooLarge();
      void handle(line, conn, runtime, handlers, logger);
    }
    if (reader.buffered > MAX_REQUEST_BYTES) tooLarge();
  });
}

async function handle(line: string, conn: ControlConnection, runtime: () => ControlTarget, handlers: ControlHandlers, logger: Logger): Promise<void> {
  let id = 0;
  conn.inFlight++;
  try {
    if (line.trim() === '') throw new ProtocolError('BAD_REQUEST', 'empty request line: send one JSON object per line');
    const req = parseRequest(line);
    id = req.id;
    const result = await dispatch(req, runtime(), handlers);
    if (result instanceof ListAnswer) {
      const broke = await conn.answer((send) => writeListAnswer(send, conn.socket, id, result, req.stream));
      if (broke !== undefined) logger.error({ err: broke, cmd: req.cmd }, 'control answer broke off');
    } else {
      await conn.answer((send) => send(lineOf({ v: CONTROL_PROTOCOL_VERSION, id, ok: true, result })));
    }
    if (req.cmd === 'stop') handlers.stop();
  } catch (error) {
    // A request refused while being parsed still gets its id back when it had a numeric one.
    if (id === 0) id = idOf(line);
    if (!(error instanceof ProtocolError) && !(error instanceof PortcullisError)) logger.error({ err: error }, 'control command failed');
    await conn.answer((send) => send(lineOf(failure(id, error))));
  } finally {
    conn.inFlight--;
  }
}

function failure(id: number, error: unknown): ControlResponse {
  return { v: CONTROL_PROTOCOL_VERSION, id, ok: false, error: errorBody(error) };
}

/** The numeric id of a request line, or 0 when it has none (or is not JSON). */
function idOf(line: string): number {
  try {
    const id = (JSON.parse(line) as { id?: unknown } | null)?.id;
    return typeof id === 'number' && Number.isFinite(id) ? id : 0;
  } catch {
    return 0;
  }
}

/** True when something accepts connections on the socket path (within 2 s). */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 2000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
