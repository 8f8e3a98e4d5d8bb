import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MountSandbox, createMountSandbox } from './mount-sandbox.js';
import { netnsUnavailable } from './netns.js';

/**
 * A real firewalld for tests: started in the server network namespace of a {@link NetnsPair} with a private
 * mount namespace, a private `/run` (so `/run/dbus/system_bus_socket` is its own system bus) and a private,
 * empty `/etc/firewalld` holding only a minimal firewalld.conf (nftables backend). The host's firewalld, D-Bus
 * and rules are never touched. `prefix` runs firewall-cmd against it.
 */
export interface FirewalldSandbox {
  readonly prefix: string[];
  /** Run `firewall-cmd <args>` against this firewalld. */
  cmd(args: string[]): string;
  /** What dbus-daemon and firewalld printed (for failure messages). */
  readonly output: () => string;
  destroy(): void;
}

/** Why a firewalld test cannot run here, or undefined when it can. */
export function firewalldUnavailable(): string | undefined {
  return netnsUnavailable(['/usr/sbin/firewalld', '/usr/bin/firewall-cmd', '/usr/bin/dbus-daemon', '/usr/bin/nsenter', '/usr/bin/unshare']);
}

const CONF = 'DefaultZone=public\nCleanupOnExit=yes\nFirewallBackend=nftables\nIPv6_rpfilter=yes\nIndividualCalls=no\nLogDenied=off\nFlushAllOnReload=yes\nLockdown=no\n';

/** Start dbus-daemon and firewalld in network namespace `netns`; resolves once `firewall-cmd --state` says running. */
export async function startFirewalld(netns: string): Promise<FirewalldSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-firewalld-'));
  const etc = join(dir, 'etc');
  mkdirSync(etc);
  writeFileSync(join(etc, 'firewalld.conf'), CONF);
  let sandbox: MountSandbox | undefined;
  let output = '';
  const log = (chunk: string) => (output = (output + chunk).slice(-8000));
  const destroy = () => {
    sandbox?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    sandbox = createMountSandbox(netns, [[etc, '/etc/firewalld']]);
    sandbox.run(['mkdir', '-p', '/run/dbus']);
    const box = sandbox;
    box.spawnDaemon(['dbus-daemon', '--system', '--nofork', '--nopidfile'], log);
    await until(() => box.run(['test', '-S', '/run/dbus/system_bus_socket']) === '', 'the D-Bus socket', () => output);
    box.spawnDaemon(['firewalld', '--nofork', '--nopid', '--log-file', join(dir, 'firewalld.log')], log);
    await until(() => box.run(['firewall-cmd', '--state']).trim() === 'running', 'firewalld running', () => output);
  } catch (error) {
    destroy();
    throw error;
  }
  const box = sandbox;
  return {
    prefix: box.prefix,
    cmd: (args) => box.run(['firewall-cmd', ...args]),
    output: () => output,
    destroy,
  };
}

/** Poll until `cond` holds (a throwing `cond` counts as not yet), for up to 60 s. */
async function until(cond: () => boolean, what: string, output: () => string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    try {
      if (cond()) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}\n${output()}`);
}
