import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitFor } from './daemon-process.js';

const JOURNALD = '/lib/systemd/systemd-journald';
const TOOLS = ['/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/logger', '/usr/bin/systemd-cat', '/usr/bin/journalctl', JOURNALD];

/** Why a private journald cannot run here, or undefined when it can. */
export function privateJournaldUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (a private mount namespace for our own journald needs it)';
  const missing = TOOLS.find((t) => !existsSync(t));
  return missing ? `${missing} not found (apt-get install systemd util-linux bsdutils)` : undefined;
}

/**
 * Our own fixed script (no log data reaches a shell): fresh tmpfs over /run (journald's sockets, the
 * daemon's control socket as root), /var/log (no auth.log, no persistent journal: journald keeps it in
 * /run/log/journal) and /var/lib (the daemon's database as root), then journald itself as the process the
 * namespace lives in.
 */
const SETUP = [
  'set -e',
  'mount -t tmpfs -o mode=0755 tmpfs /run',
  'mkdir -p /run/systemd/journal /run/log/journal',
  'mount -t tmpfs -o mode=0755 tmpfs /var/log',
  'mount -t tmpfs -o mode=0755 tmpfs /var/lib',
  `exec ${JOURNALD}`,
].join('\n');

/**
 * A real systemd-journald in a private mount and network namespace that the test creates (`unshare -m -n`),
 * so nothing of the host's /run, /var/log, /var/lib or firewall is touched. Processes run inside it with
 * {@link enter} (nsenter by the journald's pid); files inside are reached from outside through
 * `/proc/<pid>/root` ({@link path}). {@link stop} kills journald by its pid; the namespace goes with the
 * last process in it.
 */
export class PrivateJournald {
  private constructor(private readonly child: ChildProcess) {}

  /** Start journald and wait until it accepts syslog and stream clients. */
  static async start(): Promise<PrivateJournald> {
    let stderr = '';
    const child = spawn('unshare', ['-m', '-n', '--propagation', 'private', 'sh', '-c', SETUP], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr += d));
    const journald = new PrivateJournald(child);
    try {
      await waitFor(
        () => {
          if (child.exitCode !== null) throw new Error(`journald exited (${child.exitCode}): ${stderr}`);
          return ['dev-log', 'stdout', 'socket'].every((s) => existsSync(journald.path(`/run/systemd/journal/${s}`)));
        },
        20_000,
        () => `journald's sockets in the private namespace\n${stderr}`,
      );
    } catch (error) {
      await journald.stop();
      throw error;
    }
    return journald;
  }

  /** journald's pid, which names the namespace. */
  get pid(): number {
    return this.child.pid!;
  }

  /**
   * argv prefix that runs a program inside the namespace, in `cwd` (default: ours; entering a mount
   * namespace would otherwise leave it in `/`).
   */
  enter(cwd: string = process.cwd()): string[] {
    return ['nsenter', '-t', String(this.pid), '-m', '-n', `--wd=${cwd}`, '--'];
  }

  /** A path inside the namespace, as seen from outside. */
  path(inside: string): string {
    return `/proc/${this.pid}/root${inside}`;
  }

  /** Run argv inside the namespace (no shell); resolves with its exit code and output. */
  run(argv: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const full = [...this.enter(options.cwd), ...argv];
    return new Promise((done) => {
      const child = execFile(full[0]!, full.slice(1), { encoding: 'utf8', timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : -1) : 0;
        done({ code, stdout, stderr });
      });
      // A program that exits without reading its stdin (logger) closes the pipe: EPIPE is not a test failure.
      child.stdin?.on('error', () => {});
      child.stdin?.end(options.input ?? '');
    });
  }

  /** `logger -t TAG` through journald's syslog socket (/dev/log is not ours to create): sshd's own path. */
  async syslog(tag: string, message: string): Promise<void> {
    const r = await this.run(['logger', '--socket', '/run/systemd/journal/dev-log', '-t', tag, '--', message]);
    if (r.code !== 0) throw new Error(`logger failed (${r.code}): ${r.stderr}`);
  }

  /** `systemd-cat -t TAG`: a stream client, as a service's stdout reaches the journal. */
  async stream(tag: string, message: string): Promise<void> {
    const r = await this.run(['systemd-cat', '-t', tag], { input: `${message}\n` });
    if (r.code !== 0) throw new Error(`systemd-cat failed (${r.code}): ${r.stderr}`);
  }

  /** Kill journald (by pid) and wait for it. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
