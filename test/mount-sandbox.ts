import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * A private mount namespace inside a network namespace (one of `test/netns.ts`): a holder process keeps it
 * alive, `/run` is a private tmpfs in it, and folders or files of the host (`/etc/firewalld`, `/etc/ufw`) are
 * replaced by temp copies with bind mounts. Daemons started in it (dbus-daemon, firewalld) and tools run in it
 * (firewall-cmd, ufw) see only those copies and the namespace's own firewall; the host's files, D-Bus and rules
 * are never touched. `destroy()` kills what it started by pid; the mounts go with the namespace.
 */
export interface MountSandbox {
  /** argv prefix that runs a command inside both namespaces: `nsenter -t <holder> -m -n --`. */
  readonly prefix: string[];
  /** Run a command in the sandbox and return its stdout (throws on a non-zero exit). */
  run(argv: string[], input?: string): string;
  /** Start a long-running process in the sandbox; it is killed by pid on destroy. */
  spawnDaemon(argv: string[], log: (chunk: string) => void): ChildProcess;
  destroy(): void;
}

/** Create the sandbox in network namespace `netns` (a name under /run/netns) with `binds` as `[source, target]`. */
export function createMountSandbox(netns: string, binds: readonly (readonly [string, string])[]): MountSandbox {
  // nsenter and unshare exec (no fork), so the spawned pid is the holder itself.
  const holder = spawn('nsenter', [`--net=/run/netns/${netns}`, 'unshare', '--mount', '--propagation', 'private', 'sleep', 'infinity'], { stdio: 'ignore' });
  const daemons: ChildProcess[] = [];
  const destroy = () => {
    for (const d of daemons.reverse()) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    holder.kill('SIGKILL');
  };
  const pid = String(holder.pid);
  const prefix = ['nsenter', '-t', pid, '-m', '-n', '--'];
  const run = (argv: string[], input?: string) =>
    execFileSync(prefix[0]!, [...prefix.slice(1), ...argv], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  try {
    // Wait until the holder has exec'd into `sleep` inside its own mount namespace.
    for (let i = 0; i < 100 && !holderReady(pid); i++) spawnSync('sleep', ['0.05']);
    if (!holderReady(pid)) throw new Error('the sandbox holder did not start');
    run(['mount', '-t', 'tmpfs', 'tmpfs', '/run']);
    for (const [source, target] of binds) run(['mount', '--bind', source, target]);
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    prefix,
    run,
    spawnDaemon(argv, log) {
      const child = spawn(prefix[0]!, [...prefix.slice(1), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.setEncoding('utf8').on('data', log);
      child.stderr!.setEncoding('utf8').on('data', log);
      daemons.push(child);
      return child;
    },
    destroy,
  };
}

function holderReady(pid: string): boolean {
  try {
    return existsSync(`/proc/${pid}`) && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
  } catch {
    return false;
  }
}
