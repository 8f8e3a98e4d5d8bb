import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DaemonProcess, repoTempDir, waitFor } from './daemon-process.js';
import { type NetnsPair, eventually } from './netns.js';

/** A daemon with one sshd jail banning through one action, started from a config file in a fresh folder. */
export interface SshdJailDaemon {
  readonly dir: string;
  readonly log: string;
  readonly daemon: DaemonProcess;
  /** Stop the daemon (SIGKILL when still running) and remove the folder (kept with KEEP_TMP=1). */
  close(): Promise<void>;
}

/**
 * Write a config (filter-sshd plus the action's package, maxretry 3, one address per ban so a test can look for
 * the attacker's own address rather than its /64) and start the daemon on it.
 */
export async function startSshdJailDaemon(name: string, actionPackage: string, jail: (log: string) => Record<string, unknown>): Promise<SshdJailDaemon> {
  const dir = repoTempDir(name);
  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  const config = {
    plugins: ['@portcullis/filter-sshd', actionPackage],
    database: join(dir, 'state.db'),
    socket: join(dir, 'p.sock'),
    defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ipv6prefix: 128 },
    jails: { sshd: { filter: 'sshd', logpath: log, ...jail(log) } },
  };
  writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
  const daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
  await daemon.start();
  return {
    dir,
    log,
    daemon,
    async close() {
      await daemon.stop('SIGKILL');
      if (process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `count` sshd "Failed password" lines from each address, dated now. */
export function sshdFailures(addresses: readonly string[], count: number): string {
  let lines = '';
  for (const ip of addresses) {
    for (let i = 0; i < count; i++) lines += `${new Date().toISOString()} host sshd[${200 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`;
  }
  return lines;
}

/**
 * What every firewall action must do as a user meets it: both attackers of the namespace pair (IPv4 and IPv6)
 * reach the server, fail three times in the log, are refused by the kernel with the action's entries in place
 * (`inFirewall`), are listed by `status`, get through again after `portcullis unban`, and a clean stop leaves
 * nothing of ours behind (`leftover` is empty).
 */
export async function banAndUnbanBothAttackers(ns: NetnsPair, jd: SshdJailDaemon, firewall: { what: string; inFirewall: () => boolean; leftover: () => string }): Promise<void> {
  expect(ns.canConnect(4)).toBe(true);
  expect(ns.canConnect(6)).toBe(true);
  appendFileSync(jd.log, sshdFailures([ns.attacker4, ns.attacker6], 3));
  await waitFor(firewall.inFirewall, 60_000, () => `${firewall.what} for both attackers\n${jd.daemon.output}`);
  expect(ns.canConnect(4)).toBe(false);
  expect(ns.canConnect(6)).toBe(false);
  const status = await jd.daemon.json<{ banned: { ip: string }[] }>(['status', 'sshd']);
  expect(status.banned.map((b) => b.ip).sort()).toEqual([ns.attacker4, ns.attacker6].sort());
  expect((await jd.daemon.client(['unban', ns.attacker4, ns.attacker6])).code).toBe(0);
  expect(await eventually(() => ns.canConnect(4) && ns.canConnect(6), 30_000)).toBe(true);
  await jd.daemon.stop();
  expect(firewall.leftover().trim()).toBe('');
}
