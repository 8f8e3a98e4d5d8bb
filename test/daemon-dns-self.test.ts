import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { netnsUnavailable } from './netns.js';

/**
 * `usedns` and `ignoreself` through the daemon. The daemon runs in its own mount and network namespaces:
 * /etc/hosts is a file the test wrote (bind-mounted over the real one), so the attacker-written host name
 * resolves through a resolver the test controls and nothing is asked of any DNS server; and the machine's
 * own addresses are those of an interface (a veth end) the test created.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
const why = netnsUnavailable(['/usr/bin/unshare']);
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the usedns/ignoreself daemon tests: ${why}`);

const SELF = '198.51.100.200';
const NEIGHBOUR = '198.51.100.201';

describe.skipIf(skip)('usedns and ignoreself through the daemon', () => {
  let dir: string;
  let daemon: DaemonProcess;

  const fail = (jail: string, host: string, times = 3) => {
    let lines = '';
    for (let i = 0; i < times; i++) lines += `${new Date().toISOString()} host sshd[${400 + i}]: Failed password for root from ${host} port 4242 ssh2\n`;
    appendFileSync(join(dir, `${jail}.log`), lines);
  };
  const status = (jail: string) => daemon.json<{ totalFailed: number; banned: { ip: string }[] }>(['status', jail]);
  const banned = async (jail: string) => (await status(jail)).banned.map((b) => b.ip).sort();

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    dir = repoTempDir('dns-self');
    writeFileSync(join(dir, 'hosts'), ['127.0.0.1 localhost', '::1 localhost', '192.0.2.77 attacker.test', '2001:db8::77 attacker.test', ''].join('\n'));
    const jails = {
      'dns-yes': { usedns: 'yes' },
      'dns-warn': { usedns: 'warn' },
      'dns-no': { usedns: 'no' },
      'self-on': { ignoreself: true, ignoreip: [] },
      'self-off': { ignoreself: false, ignoreip: [] },
    };
    for (const [name, jail] of Object.entries(jails)) {
      writeFileSync(join(dir, `${name}.log`), '');
      Object.assign(jail, { filter: 'sshd', logpath: join(dir, `${name}.log`) });
    }
    const config = {
      plugins: ['@portcullis/filter-sshd'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ipv6prefix: 128 },
      jails,
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config, null, 2));
    // Our own fixed script; no log data reaches this shell. $0 is the hosts file, "$@" the daemon's argv.
    const setup = [
      'set -e',
      'mount --bind "$0" /etc/hosts',
      'ip link set lo up',
      'ip link add pcl-self type veth peer name pcl-self-p',
      `ip addr add ${SELF}/24 dev pcl-self`,
      // Both ends up: Node lists only the addresses of interfaces that are up and running.
      'ip link set pcl-self-p up',
      'ip link set pcl-self up',
      'exec "$@"',
    ].join('\n');
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'), [], {
      wrap: ['unshare', '-m', '-n', '--propagation', 'private', 'sh', '-c', setup, join(dir, 'hosts')],
    });
    await daemon.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('usedns yes: a host name in a failure line counts against every address it resolves to', async () => {
    fail('dns-yes', 'attacker.test');
    await waitFor(async () => (await banned('dns-yes')).length === 2, 30_000, () => `two bans\n${daemon.output}`);
    expect(await banned('dns-yes')).toEqual(['192.0.2.77', '2001:db8::77']);
    expect(daemon.output).not.toMatch(/resolved host name attacker\.test/);
  });

  it('usedns warn: counts them too, and says the log should carry addresses', async () => {
    fail('dns-warn', 'attacker.test');
    await waitFor(async () => (await banned('dns-warn')).length === 2, 30_000, () => `two bans\n${daemon.output}`);
    expect(await banned('dns-warn')).toEqual(['192.0.2.77', '2001:db8::77']);
    expect(daemon.output).toMatch(/resolved host name attacker\.test/);
  });

  it('usedns no: a host name is never resolved nor counted; addresses still are', async () => {
    fail('dns-no', 'attacker.test');
    fail('dns-no', '192.0.2.78');
    // Lines are handled in order: once the address is banned, the host name lines before it were seen.
    await waitFor(async () => (await banned('dns-no')).length === 1, 30_000, () => `a ban\n${daemon.output}`);
    expect(await banned('dns-no')).toEqual(['192.0.2.78']);
    expect((await status('dns-no')).totalFailed).toBe(3);
  });

  it("ignoreself: the machine's own address is never counted; with ignoreself off it is banned", async () => {
    fail('self-on', SELF);
    fail('self-on', NEIGHBOUR);
    await waitFor(async () => (await banned('self-on')).length === 1, 30_000, () => `a ban\n${daemon.output}`);
    expect(await banned('self-on')).toEqual([NEIGHBOUR]);
    expect((await status('self-on')).totalFailed).toBe(3);
    fail('self-off', SELF);
    await waitFor(async () => (await banned('self-off')).length === 1, 30_000, () => `a ban\n${daemon.output}`);
    expect(await banned('self-off')).toEqual([SELF]);
  });
});
