import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why a real redis-server cannot be started here, or undefined when it can. */
export function redisUnavailable(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? undefined : 'redis-server not found (apt-get install redis-server)';
}

/**
 * A real `redis-server` for one test file: persistence off, listening only on a unix socket in a temporary
 * folder (and on a loopback port when asked, for URL tests). Stopped by its pid; `restart()` brings it back
 * empty on the same socket, as a Redis restarted without persistence would be.
 */
export interface RedisServer {
  readonly socket: string;
  readonly port: number | undefined;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Run redis-cli against it (argv only), returning stdout. */
  cli(args: readonly string[]): string;
  destroy(): Promise<void>;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(socket);
    const done = (ok: boolean) => {
      c.destroy();
      resolve(ok);
    };
    c.on('connect', () => c.write('PING\r\n'));
    c.on('data', (d) => done(String(d).startsWith('+PONG')));
    c.on('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

export async function startRedisServer(options: { port?: number; extra?: readonly string[] } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-redis-'));
  const socket = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  const launch = async () => {
    const args = ['--port', String(options.port ?? 0), '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, ...(options.extra ?? [])];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout?.on('data', (d) => (output += d));
    proc.stderr?.on('data', (d) => (output += d));
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}: ${output}`);
      if (existsSync(socket) && (await ping(socket))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not answer within 15 s: ${output}`);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
    rmSync(socket, { force: true });
  };
  await launch();
  return {
    socket,
    port: options.port,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    cli: (args) => {
      const r = spawnSync('redis-cli', ['-s', socket, ...args], { encoding: 'utf8', timeout: 10_000 });
      if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
