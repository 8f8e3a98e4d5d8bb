import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { DaemonProcess, type DaemonSpawnOptions, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/**
 * The setup the daemon end-to-end tests share: a fresh folder, a config file written in it, a real
 * `portcullis start` on that config, the dry-run record read back, and `status` polled until a condition
 * holds. {@link useDaemonCleanup} stops every daemon and removes every folder made here after each test.
 * Module state is per test file: vitest runs each file in its own module graph.
 */

const daemons: DaemonProcess[] = [];
const folders: string[] = [];

/**
 * Stop (SIGKILL: a test that failed half-way must not wait on a clean stop) every daemon started through
 * this module, and remove every folder it made (kept with KEEP_TMP=1), after each test — or after all of
 * them, for a suite that starts its daemon once in `beforeAll`.
 */
export function useDaemonCleanup(when: 'each' | 'all' = 'each'): void {
  (when === 'each' ? afterEach : afterAll)(async () => {
    for (const d of daemons.splice(0)) await d.stop('SIGKILL');
    for (const dir of folders.splice(0)) if (process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });
}

/**
 * {@link useDaemonCleanup} for a suite whose daemon needs built packages (`plugins/filter-sshd`, …): its
 * tests fail at once, saying what to build, rather than each timing out on a daemon that cannot start.
 */
export function useBuiltDaemons(packages: readonly string[], when: 'each' | 'all' = 'each'): void {
  beforeAll(() => {
    const unbuilt = missingBuild(packages);
    if (unbuilt) throw new Error(unbuilt);
  });
  useDaemonCleanup(when);
}

/** What a test writes into `portcullis.config.json`; the database and socket default to files of the folder. */
export interface JailDaemonConfig {
  /** Plugin packages; `@portcullis/filter-sshd` when not given. */
  readonly plugins?: readonly string[] | undefined;
  readonly defaults?: Record<string, unknown> | undefined;
  readonly jails: Record<string, unknown>;
  /** Other top-level keys (`metrics`, `maxtracked`, `filters`, or another `database`/`socket`). */
  readonly extra?: Record<string, unknown> | undefined;
}

/** A temporary folder for one daemon test (`test/.tmp/<name>-…`), removed by {@link useDaemonCleanup}. */
export class JailFolder {
  readonly dir: string;
  /** Where the config is written. */
  readonly configPath: string;
  /** Where {@link dryRun} records what the actions were asked to do. */
  readonly bansPath: string;

  constructor(name: string) {
    this.dir = repoTempDir(name);
    folders.push(this.dir);
    this.configPath = join(this.dir, 'portcullis.config.json');
    this.bansPath = join(this.dir, 'bans.jsonl');
  }

  /** A path inside the folder. */
  path(file: string): string {
    return join(this.dir, file);
  }

  /** Create an empty file (a log the daemon will tail) and return its path. */
  emptyFile(file: string): string {
    const path = this.path(file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '');
    return path;
  }

  /** The dry-run action, recording to `bans.jsonl` of this folder (more options merged in). */
  dryRun(options: Record<string, unknown> = {}): { id: 'dry-run'; options: Record<string, unknown> } {
    return { id: 'dry-run', options: { file: this.bansPath, ...options } };
  }

  /** Every event of the dry-run record, in order (none before the first is written). */
  bans<T = { event: string; jail: string; ip: string }>(): T[] {
    return existsSync(this.bansPath) ? readFileSync(this.bansPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : [];
  }

  /** The config object: the database and socket in this folder unless `extra` says otherwise. */
  config(c: JailDaemonConfig): Record<string, unknown> {
    return {
      database: this.path('state.db'),
      socket: this.path('p.sock'),
      plugins: c.plugins ?? ['@portcullis/filter-sshd'],
      ...(c.defaults ? { defaults: c.defaults } : {}),
      jails: c.jails,
      ...c.extra,
    };
  }

  /** Write the config file as it is given (see {@link config}); returns its path. */
  writeConfig(config: Record<string, unknown>): string {
    writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    return this.configPath;
  }

  /** A daemon on this folder's config file, not started yet; stopped by {@link useDaemonCleanup}. */
  daemon(options: { args?: readonly string[]; spawn?: DaemonSpawnOptions } = {}): DaemonProcess {
    const daemon = new DaemonProcess(this.configPath, options.args, options.spawn);
    daemons.push(daemon);
    return daemon;
  }

  /** Write the config, start the daemon on it and wait for its "started" line. */
  async start(c: JailDaemonConfig, options: { args?: readonly string[]; spawn?: DaemonSpawnOptions; startTimeoutMs?: number } = {}): Promise<JailDaemon> {
    this.writeConfig(this.config(c));
    const daemon = this.daemon(options);
    await daemon.start(options.startTimeoutMs);
    return new JailDaemon(this, daemon);
  }
}

/** A started daemon of a {@link JailFolder}: its status, its dry-run record, and waits that explain a timeout. */
export class JailDaemon {
  constructor(
    readonly folder: JailFolder,
    readonly daemon: DaemonProcess,
  ) {}

  /** `status <jail> --json`. */
  status<T = { totalFailed: number; currentlyFailed: number; currentlyBanned: number; banned: { ip: string }[] }>(jail: string): Promise<T> {
    return this.daemon.json<T>(['status', jail]);
  }

  /** The dry-run record of its folder (see {@link JailFolder.bans}). */
  bans<T = { event: string; jail: string; ip: string }>(): T[] {
    return this.folder.bans<T>();
  }

  /** Poll `cond` until it holds; a timeout names `what` and shows the daemon's output and the dry-run record (its last 50 events). */
  until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
    return waitFor(cond, ms, () => `${what}\n--- daemon ---\n${this.daemon.output}\n--- bans.jsonl ---\n${this.bans().slice(-50).map((e) => JSON.stringify(e)).join('\n')}`, 50);
  }
}

/** Make a {@link JailFolder}. */
export function jailFolder(name: string): JailFolder {
  return new JailFolder(name);
}

/** An sshd "Failed password" line for `ip`, dated now. */
export function sshdFailure(ip: string, pid = 100): string {
  return `${new Date().toISOString()} host sshd[${pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;
}

/** A TCP port free on 127.0.0.1 right now (for `metrics.listen`). */
export async function freeLocalPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
