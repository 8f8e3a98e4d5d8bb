import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, runCli, waitFor } from './daemon-process.js';

/**
 * Distributed attacks through a real daemon (config file → `portcullis start` → dry-run events, status,
 * client): IPv6 counted per /64, networks banned and lifted by hand, ignoreip never banned inside a
 * network, campaigns (start, scope per user name, the success-line exemption, end) and a restart that
 * keeps prefix bans and active campaigns.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);

let dir = '';
let daemon: DaemonProcess | undefined;
let pid = 1000;

type Event = { event: string; ip?: string; jail: string; reason?: string; prefixlen?: number; target?: string; failures?: number; sources?: number; until?: string };
type Status = { totalFailed: number; currentlyBanned: number; banned: { ip: string; prefixlen?: number }[]; campaigns: { target: string; failures: number; sources: number; until: number }[] };

const failed = (ip: string, user = 'root') => `${new Date().toISOString()} host sshd[${++pid}]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
const accepted = (ip: string, user: string) => `${new Date().toISOString()} host sshd[${++pid}]: Accepted password for ${user} from ${ip} port 4242 ssh2\n`;

function events(): Event[] {
  const f = join(dir, 'bans.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event) : [];
}

function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  return waitFor(cond, ms, () => `${what}\n--- daemon ---\n${daemon?.output ?? ''}\n--- bans.jsonl ---\n${events().map((e) => JSON.stringify(e)).join('\n')}`, 50);
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function log(jail: string, text: string): void {
  appendFileSync(join(dir, `${jail}.log`), text);
}

function writeConfig(jails: Record<string, object>, top: object = {}): string {
  for (const name of Object.keys(jails)) writeFileSync(join(dir, `${name}.log`), '');
  const file = join(dir, 'portcullis.config.json');
  const dryRun = { id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } };
  const withLogs = Object.fromEntries(Object.entries(jails).map(([n, j]) => [n, { filter: 'sshd', logpath: join(dir, `${n}.log`), actions: [dryRun], ...j }]));
  writeFileSync(
    file,
    JSON.stringify({ ...top, database: join(dir, 'state.db'), socket: join(dir, 'p.sock'), plugins: ['@portcullis/filter-sshd'], defaults: { maxretry: 5, findtime: '10m', bantime: '1h', ignoreip: ['127.0.0.1/8'] }, jails: withLogs }),
  );
  return file;
}

describe('distributed attacks through the daemon', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('counts IPv6 per /64, bans networks by hand, and never bans a network holding an ignored address', async () => {
    dir = repoTempDir('distributed');
    const config = writeConfig({ p: { ignoreip: ['127.0.0.1/8', '2001:db8:cc:dd::7'] } });
    daemon = new DaemonProcess(config);
    await daemon.start();
    // Six addresses of one /64, one failure each: fail2ban sees six hosts; the /64 is banned at the fifth.
    for (let i = 1; i <= 6; i++) log('p', failed(`2001:db8:aa:bb::${i}`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '2001:db8:aa:bb::/64'), 'the /64 to be banned');
    const ban = events().find((e) => e.ip === '2001:db8:aa:bb::/64')!;
    expect(ban).toMatchObject({ prefixlen: 64, failures: 5 });
    const status = await daemon.json<Status>(['status', 'p']);
    expect(status.banned).toEqual([expect.objectContaining({ ip: '2001:db8:aa:bb::/64', prefixlen: 64 })]);
    // An address inside the banned network finds the network's ban; its failures count for nothing more.
    expect((await daemon.json<{ ip: string }[]>(['banned', '2001:db8:aa:bb::99'])).map((b) => b.ip)).toEqual(['2001:db8:aa:bb::/64']);
    await until(async () => (await daemon!.json<Status>(['status', 'p'])).totalFailed === 5, 'the sixth failure to be skipped');

    // A /64 holding an ignoreip address: only the address that reached maxretry goes, and the log says why.
    for (let i = 1; i <= 5; i++) log('p', failed(`2001:db8:cc:dd::${i}`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '2001:db8:cc:dd::5'), 'the fifth address alone to be banned');
    expect(events().some((e) => e.ip?.startsWith('2001:db8:cc:dd::/'))).toBe(false);
    expect(daemon.output).toMatch(/not banning 2001:db8:cc:dd::\/64 whole: it holds an ignored address/);

    // The client bans and lifts networks; one holding an ignored address is refused.
    const banned = await daemon.json<{ banned: string[]; ignored: string[] }>(['ban', 'p', '198.51.100.7/24', '2001:db8:1::/64', '127.0.0.0/24']);
    expect(banned.banned).toEqual(['198.51.100.0/24', '2001:db8:1::/64']);
    expect(banned.ignored).toEqual(['127.0.0.0/24']);
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '198.51.100.0/24' && e.prefixlen === 24 && e.reason === 'manual'), 'the manual /24 ban');
    const lifted = await daemon.json<{ unbanned: { ip: string }[] }>(['unban', '198.51.100.0/24']);
    expect(lifted.unbanned.map((u) => u.ip)).toEqual(['198.51.100.0/24']);
    await until(() => events().some((e) => e.event === 'unban' && e.ip === '198.51.100.0/24'), 'the unban event');
    expect((await daemon.json<Status>(['status', 'p'])).banned.map((b) => b.ip).sort()).toEqual(['2001:db8:1::/64', '2001:db8:aa:bb::/64', '2001:db8:cc:dd::5']);
  });

  it('campaigns: start on one name from many sources, ban only on that name, spare hosts that logged in, survive a restart, and end', async () => {
    dir = repoTempDir('campaign');
    const campaign = { failures: 6, sources: 5, findtime: '10m', duration: '1h', maxretry: 1 };
    const config = writeConfig({ c: { campaign }, e: { campaign: { ...campaign, duration: '3s' } } });
    daemon = new DaemonProcess(config);
    await daemon.start();
    log('c', accepted('203.0.113.200', 'admin'));
    // Six hosts, one failure each on `admin`: per host nothing would ever be banned. (Sources are counted up
    // to the `sources` threshold: what a target keeps stays bounded.)
    for (let i = 1; i <= 6; i++) log('c', failed(`203.0.113.${i}`, 'admin'));
    await until(() => events().some((e) => e.event === 'campaign' && e.jail === 'c'), 'the campaign to start');
    expect(events().find((e) => e.event === 'campaign')).toMatchObject({ jail: 'c', target: 'admin', failures: 6, sources: 5 });
    expect(events().some((e) => e.event === 'ban')).toBe(false);
    // Now one failure on `admin` bans; on `bob` it does not; the host that logged in is spared.
    log('c', failed('203.0.113.200', 'admin') + failed('203.0.113.51', 'bob') + failed('203.0.113.50', 'admin'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '203.0.113.50'), 'a campaign ban');
    expect(events().find((e) => e.ip === '203.0.113.50')).toMatchObject({ reason: 'campaign', failures: 1 });
    await until(async () => (await daemon!.json<Status>(['status', 'c'])).totalFailed === 9, 'every failure counted');
    expect(events().filter((e) => e.event === 'ban').map((e) => e.ip)).toEqual(['203.0.113.50']);
    const status = await daemon.json<Status>(['status', 'c']);
    expect(status.campaigns).toEqual([expect.objectContaining({ target: 'admin', failures: 6, sources: 5 })]);
    const text = await daemon.client(['status', 'c']);
    expect(text.stdout).toMatch(/CAMPAIGN AGAINST[\s\S]*admin/);
    // A prefix ban to carry over the restart too.
    for (let i = 1; i <= 5; i++) log('c', failed(`2001:db8:77:1::${i}`, `user${i}`));
    await until(() => events().some((e) => e.ip === '2001:db8:77:1::/64'), 'the /64 ban');

    await daemon.stop('SIGTERM');
    await daemon.start();
    const after = await daemon.json<Status>(['status', 'c']);
    expect(after.campaigns.map((c) => c.target)).toEqual(['admin']);
    expect(after.banned.map((b) => b.ip).sort()).toEqual(['2001:db8:77:1::/64', '203.0.113.50']);
    log('c', failed('203.0.113.52', 'admin'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '203.0.113.52' && e.reason === 'campaign'), 'a campaign ban after the restart');

    // A campaign ends after its duration: then one failure on the name bans no more.
    for (let i = 1; i <= 6; i++) log('e', failed(`198.51.100.${i}`, 'admin'));
    await until(() => events().some((e) => e.event === 'campaign' && e.jail === 'e'), 'the short campaign to start');
    await until(async () => (await daemon!.json<Status>(['status', 'e'])).campaigns.length === 0, 'the short campaign to end');
    log('e', failed('198.51.100.60', 'admin'));
    for (let i = 0; i < 5; i++) log('e', failed('198.51.100.61', 'root'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '198.51.100.61'), 'a maxretry ban after the campaign');
    expect(events().some((e) => e.ip === '198.51.100.60')).toBe(false);
  });

  it('adds up failures of distinct hosts of one subnet and bans the subnet', async () => {
    dir = repoTempDir('subnet');
    const config = writeConfig({ s: { subnet: { ipv4: 24, ipv6: 48, maxretry: 6 } } });
    daemon = new DaemonProcess(config);
    await daemon.start();
    for (let i = 1; i <= 6; i++) log('s', failed(`198.51.100.${i * 10}`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '198.51.100.0/24'), 'the /24 to be banned');
    expect(events().filter((e) => e.event === 'ban')).toEqual([expect.objectContaining({ ip: '198.51.100.0/24', prefixlen: 24, reason: 'subnet', failures: 6 })]);
    // IPv6: /64s of one /48 add up the same way.
    for (let i = 1; i <= 6; i++) log('s', failed(`2001:db8:5:${i}::1`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '2001:db8:5::/48'), 'the /48 to be banned');
  });

  it('keeps failure state under maxtracked: the oldest go first, logged once a minute, counted in metrics', async () => {
    dir = repoTempDir('maxtracked');
    const port = await freePort();
    const config = writeConfig({ m: {} }, { maxtracked: 100, metrics: { listen: `127.0.0.1:${port}` } });
    daemon = new DaemonProcess(config);
    await daemon.start();
    let lines = '';
    for (let i = 0; i < 300; i++) lines += failed(`10.9.${i >> 8}.${i & 255}`);
    log('m', lines);
    await until(async () => (await daemon!.json<Status>(['status', 'm'])).totalFailed === 300, 'every failure counted');
    const status = await daemon.json<{ currentlyFailed: number }>(['status', 'm']);
    expect(status.currentlyFailed).toBe(100);
    expect(daemon.output.match(/failure state is at maxtracked \(100\)/g)).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^portcullis_tracking_evictions_total 200$/m);
    // The newest hosts are the ones kept: four more failures of the last one ban it.
    log('m', failed('10.9.1.43') + failed('10.9.1.43') + failed('10.9.1.43') + failed('10.9.1.43'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '10.9.1.43'), 'the newest host to be banned at maxretry');
    // While the oldest lost its count: four more failures do not ban it.
    log('m', failed('10.9.0.0') + failed('10.9.0.0') + failed('10.9.0.0') + failed('10.9.0.0') + failed('10.9.0.1'));
    await until(async () => (await daemon!.json<Status>(['status', 'm'])).totalFailed === 309, 'the later failures counted');
    expect(events().some((e) => e.ip === '10.9.0.0')).toBe(false);
  });

  it('check-config refuses bad values of every new key, one line each with its path', async () => {
    dir = repoTempDir('check');
    const file = writeConfig({ x: { ipv6prefix: 32, subnet: { ipv4: 40, ipv6: 56, maxretry: 0 }, campaign: { failures: 'x', duration: 'soon', bogus: 1 } } }, { maxtracked: 0 });
    const r = await runCli(['check-config', '--config', file]);
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    for (const line of [
      'maxtracked: expected a positive integer',
      'jails.x.ipv6prefix: expected a prefix length from 48 to 128',
      'jails.x.subnet.ipv4: expected an IPv4 prefix length from 8 to 32',
      'jails.x.subnet.maxretry: expected a positive integer',
      'jails.x.campaign.failures: expected a positive integer',
      'jails.x.campaign.duration: expected a duration like 600, 10m, 1h, 1d, got "soon"',
      'jails.x.campaign: unknown key "bogus"',
    ])
      expect(out).toContain(line);
    const prefixOnly = writeConfig({ x: { ipv6prefix: 48, subnet: { ipv6: 56 } } });
    const r2 = await runCli(['check-config', '--config', prefixOnly]);
    expect(r2.stdout + r2.stderr).toContain('jails.x.subnet.ipv6: 56 is longer than ipv6prefix (48)');
  });
});
