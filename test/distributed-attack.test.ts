import { appendFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type DaemonProcess, runCli } from './daemon-process.js';
import { type JailDaemon, type JailDaemonConfig, type JailFolder, freeLocalPort, jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * Distributed attacks through a real daemon (config file → `portcullis start` → dry-run events, status,
 * client): IPv6 counted per /64, networks banned and lifted by hand, ignoreip never banned inside a
 * network, campaigns (start, scope per user name, the success-line exemption, end) and a restart that
 * keeps prefix bans and active campaigns.
 */

let folder: JailFolder;
let jd: JailDaemon;
let daemon: DaemonProcess;
let pid = 1000;

type Event = { event: string; ip?: string; bantime?: number; jail: string; reason?: string; prefixlen?: number; target?: string; failures?: number; sources?: number; until?: string };
type Status = { totalFailed: number; currentlyBanned: number; banned: { ip: string; prefixlen?: number }[]; campaigns: { target: string; failures: number; sources: number; until: number }[] };

const failed = (ip: string, user = 'root', ago = 0) => `${new Date(Date.now() - ago).toISOString()} host sshd[${++pid}]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
const accepted = (ip: string, user: string) => `${new Date().toISOString()} host sshd[${++pid}]: Accepted password for ${user} from ${ip} port 4242 ssh2\n`;

const events = () => folder.bans<Event>();
const until = (cond: () => boolean | Promise<boolean>, what: string, ms?: number) => jd.until(cond, what, ms);

function log(jail: string, text: string): void {
  appendFileSync(folder.path(`${jail}.log`), text);
}

/** Sshd jails, each reading `<name>.log` and recording through the dry-run action; maxretry 5. */
function sshdJailsConfig(jails: Record<string, object>, extra: Record<string, unknown> = {}): JailDaemonConfig {
  for (const name of Object.keys(jails)) writeFileSync(folder.path(`${name}.log`), '');
  const withLogs = Object.fromEntries(Object.entries(jails).map(([n, j]) => [n, { filter: 'sshd', logpath: folder.path(`${n}.log`), actions: [folder.dryRun()], ...j }]));
  return { defaults: { maxretry: 5, findtime: '10m', bantime: '1h', ignoreip: ['127.0.0.1/8'] }, jails: withLogs, extra };
}

/** A daemon in a fresh folder on {@link sshdJailsConfig}. */
async function startDaemon(name: string, jails: Record<string, object>, extra?: Record<string, unknown>): Promise<void> {
  folder = jailFolder(name);
  jd = await folder.start(sshdJailsConfig(jails, extra));
  daemon = jd.daemon;
}

describe('distributed attacks through the daemon', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('counts IPv6 per /64, bans networks by hand, and never bans a network holding an ignored address', async () => {
    await startDaemon('distributed', { p: { ignoreip: ['127.0.0.1/8', '2001:db8:cc:dd::7'] } });
    // Six addresses of one /64, one failure each: fail2ban sees six hosts; the /64 is banned at the fifth.
    for (let i = 1; i <= 6; i++) log('p', failed(`2001:db8:aa:bb::${i}`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '2001:db8:aa:bb::/64'), 'the /64 to be banned');
    const ban = events().find((e) => e.ip === '2001:db8:aa:bb::/64')!;
    expect(ban).toMatchObject({ prefixlen: 64, failures: 5 });
    const status = await daemon.json<Status>(['status', 'p']);
    expect(status.banned).toEqual([expect.objectContaining({ ip: '2001:db8:aa:bb::/64', prefixlen: 64 })]);
    // An address inside the banned network finds the network's ban; its failures count for nothing more.
    expect((await daemon.json<{ ip: string }[]>(['banned', '2001:db8:aa:bb::99'])).map((b) => b.ip)).toEqual(['2001:db8:aa:bb::/64']);
    await until(async () => (await daemon.json<Status>(['status', 'p'])).totalFailed === 5, 'the sixth failure to be skipped');

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
    const campaign = { failures: 6, sources: 5, findtime: '10m', duration: '1h', maxretry: 1 };
    await startDaemon('campaign', { c: { campaign }, e: { campaign: { ...campaign, duration: '3s' } } });
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
    await until(async () => (await daemon.json<Status>(['status', 'c'])).totalFailed === 9, 'every failure counted');
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
    await until(async () => (await daemon.json<Status>(['status', 'e'])).campaigns.length === 0, 'the short campaign to end');
    log('e', failed('198.51.100.60', 'admin'));
    for (let i = 0; i < 5; i++) log('e', failed('198.51.100.61', 'root'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '198.51.100.61'), 'a maxretry ban after the campaign');
    expect(events().some((e) => e.ip === '198.51.100.60')).toBe(false);
  });

  it('adds up failures of distinct hosts of one subnet and bans the subnet', async () => {
    await startDaemon('subnet', { s: { subnet: { ipv4: 24, ipv6: 48, maxretry: 6 } } });
    for (let i = 1; i <= 6; i++) log('s', failed(`198.51.100.${i * 10}`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '198.51.100.0/24'), 'the /24 to be banned');
    expect(events().filter((e) => e.event === 'ban')).toEqual([expect.objectContaining({ ip: '198.51.100.0/24', prefixlen: 24, reason: 'subnet', failures: 6 })]);
    // IPv6: /64s of one /48 add up the same way.
    for (let i = 1; i <= 6; i++) log('s', failed(`2001:db8:5:${i}::1`));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '2001:db8:5::/48'), 'the /48 to be banned');
  });

  it('keeps failure state under maxtracked: the oldest go first, logged once a minute, counted in metrics', async () => {
    const port = await freeLocalPort();
    await startDaemon('maxtracked', { m: {} }, { maxtracked: 100, metrics: { listen: `127.0.0.1:${port}` } });
    let lines = '';
    for (let i = 0; i < 300; i++) lines += failed(`10.9.${i >> 8}.${i & 255}`);
    log('m', lines);
    await until(async () => (await daemon.json<Status>(['status', 'm'])).totalFailed === 300, 'every failure counted');
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
    await until(async () => (await daemon.json<Status>(['status', 'm'])).totalFailed === 309, 'the later failures counted');
    expect(events().some((e) => e.ip === '10.9.0.0')).toBe(false);
  });

  it('campaigns ban a subnet two of whose hosts fail, for the campaign duration, unless a host in it logged in', async () => {
    await startDaemon('campaign-subnet', { s: { campaign: { failures: 3, sources: 3, findtime: '10m', duration: '2h', maxretry: 2 } } });
    log('s', accepted('10.60.1.5', 'carol') + failed('203.0.113.1') + failed('203.0.113.2') + failed('203.0.113.3'));
    await until(() => events().some((e) => e.event === 'campaign'), 'the campaign to start');
    // Two hosts of one /24, one failure each: the /24 goes, for the campaign's 2 h (the jail's bantime is 1 h).
    log('s', failed('10.50.1.1') + failed('10.50.1.2'));
    await until(() => events().some((e) => e.ip === '10.50.1.0/24'), 'the /24 to be banned');
    expect(events().find((e) => e.ip === '10.50.1.0/24')).toMatchObject({ reason: 'campaign', prefixlen: 24, bantime: 7200 });
    // One host failing twice is banned alone; a /24 holding a host that logged in is never banned whole.
    log('s', failed('10.70.1.1') + failed('10.70.1.1') + failed('10.60.1.1') + failed('10.60.1.2') + failed('10.60.1.1'));
    await until(() => events().some((e) => e.ip === '10.60.1.1'), 'the failing host of the exempt /24 to be banned');
    const ips = events().filter((e) => e.event === 'ban').map((e) => e.ip);
    expect(ips).toEqual(['10.50.1.0/24', '10.70.1.1', '10.60.1.1']);
  });

  it('evicts the oldest failure state of all jails first, campaign counters included', async () => {
    const port = await freeLocalPort();
    const campaign = { failures: 3, sources: 3, findtime: '10m', duration: '1h', maxretry: 2 };
    await startDaemon('oldest', { old: {}, fresh: {}, c: { campaign } }, { maxtracked: 50, metrics: { listen: `127.0.0.1:${port}` } });
    const failedIn = async (jail: string, n: number) => (await daemon.json<Status>(['status', jail])).totalFailed === n;
    let lines = '';
    for (let i = 0; i < 40; i++) lines += failed(`10.1.0.${i}`, 'root', 60_000);
    log('old', lines);
    await until(() => failedIn('old', 40), 'the older failures counted');
    lines = '';
    for (let i = 0; i < 40; i++) lines += failed(`10.2.0.${i}`);
    log('fresh', lines);
    await until(() => failedIn('fresh', 40), 'the newer failures counted');
    // The jail that grew keeps its entries: the older jail's go first.
    const held = async (jail: string) => (await daemon.json<{ currentlyFailed: number }>(['status', jail])).currentlyFailed;
    expect([await held('old'), await held('fresh')]).toEqual([10, 40]);
    // A campaign's counters count too: 3 hosts start it, then 30 hosts of 30 /24s fail once each on the
    // name, each held by the maxretry rule and by the campaign per host and per subnet (93 more entries).
    log('c', failed('10.3.0.1', 'admin') + failed('10.3.0.2', 'admin') + failed('10.3.0.3', 'admin'));
    await until(() => events().some((e) => e.event === 'campaign' && e.target === 'admin'), 'the campaign to start');
    lines = '';
    for (let i = 0; i < 30; i++) lines += failed(`10.4.${i}.1`, 'admin');
    log('c', lines);
    await until(() => failedIn('c', 33), 'the campaign failures counted');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    // 80 + 3 + 30 × 3 entries asked for, 50 kept.
    expect(metrics).toMatch(/^portcullis_tracking_evictions_total 123$/m);
    expect([await held('old'), await held('fresh')]).toEqual([0, 0]);
    // The newest campaign host kept its count: its second failure bans it.
    log('c', failed('10.4.29.1', 'admin'));
    await until(() => events().some((e) => e.event === 'ban' && e.ip === '10.4.29.1' && e.reason === 'campaign'), 'the newest campaign host banned');
  });

  it('check-config refuses bad values of every new key, one line each with its path', async () => {
    folder = jailFolder('check');
    const file = folder.writeConfig(folder.config(sshdJailsConfig({ x: { ipv6prefix: 32, subnet: { ipv4: 40, ipv6: 56, maxretry: 0 }, campaign: { failures: 'x', duration: 'soon', bogus: 1 } } }, { maxtracked: 0 })));
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
    const prefixOnly = folder.writeConfig(folder.config(sshdJailsConfig({ x: { ipv6prefix: 48, subnet: { ipv6: 56 } } })));
    const r2 = await runCli(['check-config', '--config', prefixOnly]);
    expect(r2.stdout + r2.stderr).toContain('jails.x.subnet.ipv6: 56 is longer than ipv6prefix (48)');
  });
});
