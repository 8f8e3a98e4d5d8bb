import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MountSandbox, createMountSandbox } from './mount-sandbox.js';
import { netnsUnavailable } from './netns.js';

/**
 * A real, enabled ufw for tests, confined to the server network namespace of a {@link NetnsPair}: in a private
 * mount namespace, `/etc/ufw`, `/lib/ufw` and `/etc/default/ufw` are temp copies (so the host's ufw
 * configuration is never written) and `/run` is private (ufw's lock). The copy of /etc/default/ufw points
 * IPT_SYSCTL at an empty file, so enabling ufw changes no sysctl. Only the namespace's own iptables rules change.
 */
export interface UfwSandbox {
  readonly prefix: string[];
  /** Run `ufw <args>` in the sandbox. */
  ufw(args: string[]): string;
  destroy(): void;
}

/** Why a ufw test cannot run here, or undefined when it can. */
export function ufwUnavailable(): string | undefined {
  return netnsUnavailable(['/usr/sbin/ufw', '/etc/default/ufw', '/usr/bin/nsenter', '/usr/bin/unshare']);
}

/** Enable ufw (default deny incoming) in network namespace `netns`, allowing `allowPort`/tcp. */
export function startUfw(netns: string, allowPort: number): UfwSandbox {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-ufw-'));
  let sandbox: MountSandbox | undefined;
  const destroy = () => {
    sandbox?.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    cpSync('/etc/ufw', join(dir, 'etc-ufw'), { recursive: true });
    cpSync('/lib/ufw', join(dir, 'lib-ufw'), { recursive: true });
    writeFileSync(join(dir, 'etc-ufw', 'sysctl.none'), '');
    const defaults = readFileSync('/etc/default/ufw', 'utf8').replace(/^IPT_SYSCTL=.*$/m, 'IPT_SYSCTL=/etc/ufw/sysctl.none');
    writeFileSync(join(dir, 'default-ufw'), defaults);
    sandbox = createMountSandbox(netns, [
      [join(dir, 'etc-ufw'), '/etc/ufw'],
      [join(dir, 'lib-ufw'), '/lib/ufw'],
      [join(dir, 'default-ufw'), '/etc/default/ufw'],
    ]);
    const box = sandbox;
    // A copy of a host where ufw was already enabled holds the host's rules: start from ufw's defaults.
    box.run(['ufw', '--force', 'reset']);
    box.run(['ufw', '--force', 'enable']);
    box.run(['ufw', 'allow', `${allowPort}/tcp`]);
  } catch (error) {
    destroy();
    throw error;
  }
  const box = sandbox;
  return { prefix: box.prefix, ufw: (args) => box.run(['ufw', ...args]), destroy };
}
