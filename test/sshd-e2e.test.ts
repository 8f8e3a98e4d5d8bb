import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The whole product against a real OpenSSH server: sshd runs in a "server" network namespace and logs to a
 * file; an "attacker" namespace (veth pair, IPv4 and IPv6) tries wrong passwords with sshpass; the daemon
 * (built CLI) follows the log and bans through nftables inside the server namespace. After maxretry
 * failures the attacker cannot open a TCP connection to sshd; after bantime it can again.
 */
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const tools = ['/usr/sbin/sshd', '/usr/bin/sshpass', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/sbin/nft', '/usr/sbin/ip'];
const why =
  process.getuid?.() !== 0
    ? 'not root'
    : tools.find((t) => !existsSync(t))
      ? `${tools.find((t) => !existsSync(t))} not found (apt-get install openssh-server sshpass nftables iproute2)`
      : !existsSync(cli) || !existsSync(join(root, 'plugins/action-nftables/dist/index.js'))
        ? 'packages not built (pnpm build)'
        : undefined;
if (why && process.env.CI !== 'true') console.warn(`skipping sshd end-to-end tests: ${why}`);

const id = `${process.pid % 10000}`;
const srv = `pcl-e2e-srv-${id}`;
const atk = `pcl-e2e-atk-${id}`;
const net = (process.pid % 200) + 20;
const srv4 = `10.213.${net}.1`;
const atk4 = `10.213.${net}.2`;
const srv6 = `fd00:213:${net}::1`;
const atk6 = `fd00:213:${net}::2`;
const port = 2222;
let dir: string;
let sshd: ChildProcess | undefined;
let daemon: ChildProcess | undefined;
let daemonOutput = '';

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: 20_000 });
}

function inNs(ns: string, cmd: string[]): string {
  return sh('ip', ['netns', 'exec', ns, ...cmd]);
}

/** One password attempt from the attacker; sshd logs it as failures. */
function attempt(address: string): void {
  spawnSync('ip', ['netns', 'exec', atk, 'sshpass', '-p', 'wrong-password', 'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'PreferredAuthentications=password', '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=2', '-o', 'ServerAliveInterval=1', '-o', 'ServerAliveCountMax=2', '-o', 'LogLevel=ERROR', '-p', String(port), `e2e-intruder@${address}`, 'true'], { timeout: 4_000, killSignal: 'SIGKILL', stdio: 'ignore' });
}

/** Does the attacker get an SSH banner within 1.5 s? */
function canReach(address: string): boolean {
  const script = `const s=require('net').connect({host:${JSON.stringify(address)},port:${port}});const t=setTimeout(()=>{console.log('no');process.exit(0)},1500);s.on('data',d=>{console.log(String(d).startsWith('SSH-')?'yes':'no');process.exit(0)});s.on('error',()=>{console.log('no');process.exit(0)});`;
  const out = spawnSync('ip', ['netns', 'exec', atk, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
  return out.stdout.trim() === 'yes';
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}\n--- daemon output ---\n${daemonOutput}\n--- sshd log ---\n${existsSync(join(dir, 'sshd.log')) ? readFileSync(join(dir, 'sshd.log'), 'utf8') : ''}`);
}

function cleanup(): void {
  daemon?.kill('SIGKILL');
  sshd?.kill('SIGKILL');
  for (const ns of [srv, atk]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

describe.skipIf(why !== undefined && process.env.CI !== 'true')('real sshd banned end to end through nftables', () => {
  beforeAll(async () => {
    if (why) throw new Error(why);
    cleanup();
    dir = mkdtempSync(join(root, 'test/.tmp-sshd-'));
    sh('ip', ['netns', 'add', srv]);
    sh('ip', ['netns', 'add', atk]);
    sh('ip', ['link', 'add', `pcls${id}`, 'type', 'veth', 'peer', 'name', `pcla${id}`]);
    sh('ip', ['link', 'set', `pcls${id}`, 'netns', srv]);
    sh('ip', ['link', 'set', `pcla${id}`, 'netns', atk]);
    for (const [ns, dev, a4, a6] of [[srv, `pcls${id}`, srv4, srv6], [atk, `pcla${id}`, atk4, atk6]] as const) {
      inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
      inNs(ns, ['ip', 'addr', 'add', `${a4}/24`, 'dev', dev]);
      inNs(ns, ['ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
      inNs(ns, ['ip', 'link', 'set', dev, 'up']);
    }
    // sshd, logging to a file (no syslog here); privilege separation needs /run/sshd.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
    writeFileSync(
      join(dir, 'sshd_config'),
      [`Port ${port}`, 'ListenAddress 0.0.0.0', 'ListenAddress ::', `HostKey ${join(dir, 'hostkey')}`, `PidFile ${join(dir, 'sshd.pid')}`, 'LogLevel VERBOSE', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no', 'MaxStartups 100', ''].join('\n'),
    );
    writeFileSync(join(dir, 'sshd.log'), '');
    sshd = spawn('ip', ['netns', 'exec', srv, '/usr/sbin/sshd', '-D', '-f', join(dir, 'sshd_config'), '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
    await waitFor(() => readFileSync(join(dir, 'sshd.log'), 'utf8').includes('Server listening'), 10_000, 'sshd to listen');

    writeFileSync(
      join(dir, 'portcullis.config.json'),
      JSON.stringify({
        plugins: ['@portcullis/filter-sshd', '@portcullis/action-nftables'],
        database: join(dir, 'portcullis.db'),
        socket: join(dir, 'portcullis.sock'),
        defaults: { maxretry: 3, findtime: '1m', bantime: '12s', ignoreip: ['127.0.0.1/8', '::1'] },
        jails: {
          sshd: {
            filter: 'sshd',
            logpath: join(dir, 'sshd.log'),
            port,
            actions: [
              { id: 'nftables', options: { commandPrefix: ['ip', 'netns', 'exec', srv], table: `pcle2e${id}` } },
              { id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } },
            ],
          },
        },
      }),
    );
    daemon = spawn(process.execPath, [cli, 'start', '--config', join(dir, 'portcullis.config.json')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout?.on('data', (d: Buffer) => (daemonOutput += d));
    daemon.stderr?.on('data', (d: Buffer) => (daemonOutput += d));
    await waitFor(() => existsSync(join(dir, 'portcullis.sock')), 20_000, 'the daemon to start');
  }, 120_000);

  afterAll(() => {
    cleanup();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  const bans = () => (existsSync(join(dir, 'bans.jsonl')) ? readFileSync(join(dir, 'bans.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string }) : []);

  for (const [family, target, attacker] of [['IPv4', srv4, atk4], ['IPv6', srv6, atk6]] as const) {
    it(`bans the ${family} attacker after maxretry failures and lets it back after bantime`, async () => {
      expect(canReach(target)).toBe(true);
      for (let i = 0; i < 5 && !bans().some((b) => b.event === 'ban' && b.ip === attacker); i++) attempt(target);
      await waitFor(() => bans().some((b) => b.event === 'ban' && b.ip === attacker), 10_000, `a ban of ${attacker}`);
      await waitFor(() => !canReach(target), 5_000, `${attacker} to be blocked`);
      const set = inNs(srv, ['nft', 'list', 'table', 'inet', `pcle2e${id}`]);
      expect(set).toContain(attacker);
      // bantime 12 s: the daemon unbans (the kernel timeout would too) and the attacker reaches sshd again.
      await waitFor(() => bans().some((b) => b.event === 'unban' && b.ip === attacker), 20_000, `the unban of ${attacker}`);
      await waitFor(() => canReach(target), 5_000, `${attacker} to be let back in`);
    }, 60_000);
  }
});
