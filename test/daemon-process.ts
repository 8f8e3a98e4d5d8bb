import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root. */
export const repoRoot: string = resolve(import.meta.dirname, '..');

/** The built CLI the daemon tests run (the root `pnpm test` builds everything before vitest starts). */
export const cliPath: string = join(repoRoot, 'apps/portcullis/dist/cli.js');

/**
 * Why the built packages a daemon test needs are missing, or undefined when they are all there. The
 * daemon runs as a real process from `dist/`, and resolves plugins through their `default` export condition,
 * which points at `dist/` too.
 */
export function missingBuild(packages: readonly string[]): string | undefined {
  const needed = [cliPath, join(repoRoot, 'packages/core/dist/engine.js'), join(repoRoot, 'packages/store-sqlite/dist/index.js'), ...packages.map((p) => join(repoRoot, p, 'dist/index.js'))];
  const missing = needed.filter((f) => !existsSync(f));
  return missing.length ? `built files missing (${missing.map((f) => f.slice(repoRoot.length + 1)).join(', ')}): run \`pnpm build\` first` : undefined;
}

/**
 * A temporary folder inside the repository (`test/.tmp/…`, git-ignored): a config placed there resolves
 * plugin packages by name through the workspace's node_modules, as an installed config would.
 */
export function repoTempDir(name: string): string {
  const parent = join(repoRoot, 'test/.tmp');
  mkdirSync(parent, { recursive: true });
  return mkdtempSync(join(parent, `${name}-`));
}

/** `portcullis start` as a child process, with its output kept for diagnostics. */
export class DaemonProcess {
  /** Everything the daemon wrote to stdout and stderr since the last start. */
  output = '';
  private child: ChildProcess | undefined;

  constructor(
    readonly configPath: string,
    private readonly extraArgs: readonly string[] = [],
    /** A command the daemon runs under (argv, e.g. `unshare -m …`); it must exec the daemon in place. */
    private readonly prefix: readonly string[] = [],
  ) {}

  /** Start and wait for the "started" log line; rejects with the output when the daemon exits first. */
  async start(timeoutMs = 20_000): Promise<void> {
    this.output = '';
    const argv = [...this.prefix, process.execPath, cliPath, 'start', '--config', this.configPath, ...this.extraArgs];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d));
    child.stderr?.on('data', (d: Buffer) => (this.output += d));
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`the daemon exited with code ${child.exitCode}:\n${this.output}`);
      return /portcullis \S+ started/.test(this.output);
    }, timeoutMs, () => `the daemon to start\n${this.output}`);
  }

  /** The daemon's pid, while running. */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** Send a signal and wait for the exit; resolves with the exit code (or the signal name). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | string | null>((r) => child.once('exit', (code, sig) => r(code ?? sig)));
    child.kill(signal);
    const result = await exited;
    this.child = undefined;
    return result;
  }

  /** Run a client command (`--config` of this daemon); resolves with its exit code, stdout and stderr. */
  client(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runCli([...args, '--config', this.configPath]);
  }

  /** Run a client command with `--json` and parse what it prints; rejects when it exits non-zero. */
  async json<T>(args: readonly string[]): Promise<T> {
    const r = await this.client([...args, '--json']);
    if (r.code !== 0) throw new Error(`portcullis ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}\n--- daemon ---\n${this.output}`);
    return JSON.parse(r.stdout) as T;
  }
}

/** Run the built CLI with arguments (argv only). */
export function runCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 20_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Poll `cond` every `everyMs` until it holds; throws `what()` after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: () => string, everyMs = 100): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what()}`);
}
