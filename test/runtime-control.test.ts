import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, cliPath, missingBuild, repoTempDir, runCli, waitFor } from './daemon-process.js';

/**
 * fail2ban-client-style runtime control against a real daemon: get/set applied at once, jail stop/start,
 * reload --unban and --restart, bulk bans from a file, block-list export (loaded by a real nft in check
 * mode), and the logfile reopened after a logrotate-style rename.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
let dir = '';
const daemons: DaemonProcess[] = [];
const children: ChildProcess[] = [];

/** The CLI with room for 100,000 addresses on a busy machine (runCli gives up after 20 s). */
function slowCli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function fail(ip: string): string {
  return `${new Date().toISOString()} host sshd[7]: Failed password for root from ${ip} port 4242 ssh2\n`;
}

function writeConfig(extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'portcullis.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      plugins: ['@portcullis/filter-sshd'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'run/p.sock'),
      defaults: { maxretry: 5, findtime: '10m', bantime: '1h', ignoreip: [] },
      jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      ...extra,
    }),
  );
  return file;
}

async function started(extra: Record<string, unknown> = {}): Promise<DaemonProcess> {
  dir = repoTempDir('runctl');
  writeFileSync(join(dir, 'auth.log'), '');
  const d = new DaemonProcess(writeConfig(extra));
  daemons.push(d);
  await d.start();
  return d;
}

interface Summary {
  jails: { name: string; currentlyFailed: number; totalFailed: number; currentlyBanned: number }[];
}

const banned = (d: DaemonProcess) => d.json<{ ip: string; jail: string }[]>(['banned']);
const sshd = async (d: DaemonProcess) => (await d.json<Summary>(['status'])).jails.find((j) => j.name === 'sshd');

describe('runtime control', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    for (const d of daemons.splice(0)) await d.stop('SIGKILL');
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('get and set change the running jail at once, validated like the config', async () => {
    const d = await started();
    expect(await d.client(['get', 'sshd', 'maxretry'])).toMatchObject({ code: 0, stdout: '5\n' });
    expect(await d.json(['set', 'sshd', 'maxretry', '2'])).toEqual({ jail: 'sshd', setting: 'maxretry', value: 2 });
    expect(await d.json(['get', 'sshd', 'maxretry'])).toMatchObject({ value: 2 });
    appendFileSync(join(dir, 'auth.log'), fail('203.0.113.5') + fail('203.0.113.5'));
    await waitFor(async () => (await banned(d)).some((b) => b.ip === '203.0.113.5'), 10_000, () => d.output);

    // Bad values: the config's own messages, exit 1, nothing changed.
    expect(await d.client(['set', 'sshd', 'maxretry', '0'])).toMatchObject({ code: 1, stderr: expect.stringContaining('jails.sshd.maxretry: expected a positive integer') });
    expect(await d.client(['set', 'sshd', 'findtime', 'soon'])).toMatchObject({ code: 1, stderr: expect.stringContaining('jails.sshd.findtime:') });
    expect(await d.client(['set', 'sshd', 'addignoreip', 'example.org'])).toMatchObject({ code: 1, stderr: expect.stringContaining('jails.sshd.ignoreip[0]: "example.org" is not an IP address or CIDR network') });
    expect(await d.client(['set', 'sshd', 'colour', 'red'])).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown setting "colour"') });
    expect(await d.client(['set', 'loglevel', 'loud'])).toMatchObject({ code: 1, stderr: expect.stringContaining('loglevel:') });
    expect(await d.json(['get', 'sshd', 'maxretry'])).toMatchObject({ value: 2 });

    expect(await d.json(['set', 'sshd', 'bantime', '2h'])).toMatchObject({ value: 7200 });
    expect(await d.json(['set', 'sshd', 'findtime', '30'])).toMatchObject({ value: 30 });
    // addignoreip: failures from the network are no longer counted, and a manual ban of it is refused.
    expect(await d.json(['set', 'sshd', 'addignoreip', '198.51.100.0/24'])).toMatchObject({ value: ['198.51.100.0/24'] });
    expect(await d.client(['get', 'sshd', 'ignoreip'])).toMatchObject({ code: 0, stdout: '198.51.100.0/24\n' });
    appendFileSync(join(dir, 'auth.log'), fail('198.51.100.9').repeat(3) + fail('203.0.113.77'));
    await waitFor(async () => (await sshd(d))!.totalFailed === 3, 10_000, () => d.output);
    expect((await banned(d)).map((b) => b.ip)).toEqual(['203.0.113.5']);
    // Nothing asked for happened: exit 1, with the reason in the answer.
    const refused = await d.client(['ban', 'sshd', '198.51.100.9', '--json']);
    expect(refused.code).toBe(1);
    expect((JSON.parse(refused.stdout) as { ignored: string[] }).ignored).toEqual(['198.51.100.9']);
    expect(await d.json(['set', 'sshd', 'delignoreip', '198.51.100.0/24'])).toMatchObject({ value: [] });
    expect((await d.json<{ banned: string[] }>(['ban', 'sshd', '198.51.100.9'])).banned).toEqual(['198.51.100.9']);

    // loglevel: daemon-wide; debug records appear once it is set.
    expect(await d.json(['get', 'loglevel'])).toEqual({ setting: 'loglevel', value: 'info' });
    expect(await d.json(['set', 'loglevel', 'debug'])).toEqual({ setting: 'loglevel', value: 'debug' });
    expect(await d.client(['get', 'loglevel'])).toMatchObject({ stdout: 'debug\n' });

    // A reload goes back to the config file.
    await d.json(['reload']);
    expect(await d.json(['get', 'sshd', 'maxretry'])).toMatchObject({ value: 5 });
  });

  it('jail stop lifts the bans and stops counting; jail start resumes; reload --restart keeps bans, --unban lifts them', async () => {
    const d = await started({ defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [] } });
    appendFileSync(join(dir, 'auth.log'), fail('203.0.113.5').repeat(2));
    await waitFor(async () => (await banned(d)).length === 1, 10_000, () => d.output);

    expect(await d.client(['jail', 'stop', 'sshd'])).toMatchObject({ code: 0, stdout: 'jail sshd stopped\n' });
    expect(await banned(d)).toEqual([]);
    const actions = () => readFileSync(join(dir, 'bans.jsonl'), 'utf8');
    await waitFor(() => actions().includes('"unban"'), 10_000, actions);
    expect(await d.client(['status', 'sshd'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no jail named "sshd"') });
    appendFileSync(join(dir, 'auth.log'), fail('203.0.113.6').repeat(2));
    expect(await d.client(['jail', 'stop', 'sshd'])).toMatchObject({ code: 1 });

    const startedAt = Date.now();
    expect(await d.client(['jail', 'start', 'sshd'])).toMatchObject({ code: 0, stdout: 'jail sshd started\n' });
    expect(await d.client(['jail', 'start', 'sshd'])).toMatchObject({ code: 1, stderr: expect.stringContaining('already running') });
    expect(await d.client(['jail', 'start', 'nope'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no jail named "nope"') });
    // Lines written while stopped were not counted then: the started jail resumes at its saved position,
    // so they are read (and ban) only now, like fail2ban's restored file positions.
    appendFileSync(join(dir, 'auth.log'), fail('203.0.113.7').repeat(2));
    await waitFor(async () => (await banned(d)).length === 2, 10_000, () => d.output);
    const bans = await d.json<{ ip: string; time: number }[]>(['banned']);
    expect(bans.map((b) => b.ip).sort()).toEqual(['203.0.113.6', '203.0.113.7']);
    for (const b of bans) expect(b.time).toBeGreaterThanOrEqual(startedAt);
    expect((await sshd(d))!.totalFailed).toBe(4);

    expect(await d.json(['reload', '--restart'])).toMatchObject({ reloaded: true, restarted: true, jails: ['sshd'] });
    expect((await banned(d)).map((b) => b.ip).sort()).toEqual(['203.0.113.6', '203.0.113.7']);
    expect(await d.json(['reload', '--unban'])).toMatchObject({ reloaded: true, unbanned: true });
    expect(await banned(d)).toEqual([]);
    expect(await d.client(['reload', 'sshd', '--restart'])).toMatchObject({ code: 2 });
  });

  it('bans a 100,000-line block list in chunks, reports bad lines by number, and exports plain, json and nft', async () => {
    const d = await started();
    const list: string[] = ['# block list', ''];
    for (let i = 0; i < 100_000; i++) list.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    list.push('2001:db8:1::/48  # a network');
    writeFileSync(join(dir, 'big.txt'), `${list.join('\n')}\n`);
    const big = await slowCli(['ban', 'sshd', '--from-file', join(dir, 'big.txt'), '--config', d.configPath!]);
    expect(big).toMatchObject({ code: 0, stdout: 'sshd: banned 100001, already banned 0, not banned (ignoreip) 0, invalid lines 0\n' });
    expect((await sshd(d))!.currentlyBanned).toBe(100_001);

    writeFileSync(join(dir, 'bad.txt'), '203.0.113.21\nnot-an-ip\n\n# ok\n192.0.2.0/33\n203.0.113.22 # fine\n');
    const bad = await d.client(['ban', 'sshd', '--from-file', join(dir, 'bad.txt')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`${join(dir, 'bad.txt')}:2: "not-an-ip" is not an IP address or CIDR network\n${join(dir, 'bad.txt')}:5: "192.0.2.0/33" is not an IP address or CIDR network\n`);
    expect(bad.stdout).toContain('banned 2,');
    const piped = spawnSync(process.execPath, [cliPath, 'ban', 'sshd', '--from-file', '-', '--json', '--config', d.configPath!], { input: '203.0.113.23\n', encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ banned: 1, invalid: [] });
    expect(await d.client(['ban', 'sshd', '--from-file', join(dir, 'missing.txt')])).toMatchObject({ code: 2 });

    const plain = await slowCli(['banned', '--format', 'plain', '--config', d.configPath!]);
    const lines = plain.stdout.trim().split('\n');
    expect(lines).toHaveLength(100_004);
    expect(lines).toContain('2001:db8:1::/48');
    const json = await slowCli(['banned', '--format', 'json', '--config', d.configPath!]);
    expect(JSON.parse(json.stdout)).toHaveLength(100_004);

    const nft = await slowCli(['banned', '--format', 'nft', '--config', d.configPath!]);
    expect(nft.code).toBe(0);
    writeFileSync(join(dir, 'blocklist.nft'), nft.stdout);
    const missing = ['/usr/sbin/nft', '/usr/bin/unshare'].find((t) => !existsSync(t));
    if (missing) {
      if (process.env.CI === 'true') throw new Error(`${missing} is required in CI`);
      console.log(`skipping the nft load check: ${missing} not found`);
      return;
    }
    // Check mode in a user+network namespace of our own: no root and never the host's rules.
    execFileSync('unshare', ['-rn', 'nft', '-c', '-f', join(dir, 'blocklist.nft')], { stdio: 'pipe' });
    // And really loaded there, twice (loading again replaces the elements), then counted.
    const out = execFileSync('unshare', ['-rn', 'sh', '-c', 'nft -f "$1" && nft -f "$1" && nft list set inet portcullis_blocklist banned_v6', 'sh', join(dir, 'blocklist.nft')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(out).toContain('2001:db8:1::/48');
  }, 600_000);

  it('logs to the logfile and reopens it on SIGUSR1 and flushlogs after a logrotate-style rename', async () => {
    dir = repoTempDir('runctl');
    writeFileSync(join(dir, 'auth.log'), '');
    const log = join(dir, 'portcullis.log');
    const d = new DaemonProcess(writeConfig({ logfile: log }));
    // The "started" line goes to the logfile, not to stderr: wait for it there.
    const child = spawn(process.execPath, [cliPath, 'start', '--config', d.configPath!], { stdio: 'ignore' });
    children.push(child);
    await waitFor(() => existsSync(log) && /portcullis \S+ started/.test(readFileSync(log, 'utf8')), 20_000, () => (existsSync(log) ? readFileSync(log, 'utf8') : 'no log file'));
    renameSync(log, `${log}.1`);
    process.kill(child.pid!, 'SIGUSR1');
    await waitFor(() => existsSync(log) && readFileSync(log, 'utf8').includes('log file reopened'), 10_000, () => d.output);
    await d.json(['ban', 'sshd', '192.0.2.44']);
    await waitFor(() => readFileSync(log, 'utf8').includes('ban 192.0.2.44'), 10_000, () => readFileSync(log, 'utf8'));
    expect(readFileSync(`${log}.1`, 'utf8')).not.toContain('192.0.2.44');

    renameSync(log, `${log}.2`);
    expect(await d.client(['flushlogs'])).toMatchObject({ code: 0, stdout: 'log file reopened\n' });
    expect(readFileSync(log, 'utf8')).toContain('log file reopened');

    // A logfile the daemon could not open: check-config refuses it first, as start does.
    const bad = writeConfig({ logfile: join(dir, 'missing/portcullis.log') });
    const problem = `logfile: the folder ${join(dir, 'missing')} does not exist`;
    expect(await runCli(['check-config', '--config', bad])).toMatchObject({ code: 2, stderr: expect.stringContaining(problem) });
    expect(await runCli(['start', '--config', bad])).toMatchObject({ code: 2, stderr: expect.stringContaining(problem) });
  });
});
