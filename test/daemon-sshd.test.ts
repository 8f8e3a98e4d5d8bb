import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/**
 * The whole product against a real OpenSSH server. sshd runs in a "server" network namespace with its own
 * config and host key, logging to a file; an "attacker" namespace joined by a veth pair (IPv4 and IPv6)
 * tries wrong passwords with sshpass; the daemon (the built CLI) follows sshd's log with the sshd filter and
 * bans through nftables run inside the server namespace (plus a dry-run record). After maxretry failures
 * the attacker cannot get an SSH banner any more; after bantime it can again.
 */
const tools = ['/usr/sbin/sshd', '/usr/bin/sshpass', '/usr/bin/ssh', '/usr/bin/ssh-keygen', '/usr/sbin/nft', '/usr/sbin/ip'];
const missingTool = tools.find((t) => !existsSync(t));
const why = process.getuid?.() !== 0 ? 'not root' : missingTool ? `${missingTool} not found (apt-get install openssh-server openssh-client sshpass nftables iproute2)` : undefined;
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping daemon + real sshd tests: ${why}`);

const id = `${process.pid % 10000}`;
const srv = `pcl-dsd-s-${id}`;
const atk = `pcl-dsd-a-${id}`;
const net = (process.pid % 200) + 30;
const srv4 = `10.214.${net}.1`;
const atk4 = `10.214.${net}.2`;
const srv6 = `fd00:214:${net}::1`;
const atk6 = `fd00:214:${net}::2`;
const port = 2222;
const table = `pcldsd${id}`;
let dir = '';
let sshd: ChildProcess | undefined;
let daemon: DaemonProcess | undefined;
/** Results of the last reachability probes, for diagnostics. */
const probes: string[] = [];

function sh(argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
}

/**
 * Run argv in a namespace, asynchronously (the event loop keeps running), resolving with stdout. The child
 * gets its own process group, killed as a whole at the timeout: an ssh client whose connection a ban cut
 * mid-session would otherwise hang on, and talk to sshd again once the ban is lifted.
 */
function inNs(ns: string, argv: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((done) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', () => {
      clearTimeout(timer);
      done(out);
    });
  });
}

/** One wrong password from the attacker: sshd logs a failure for it. */
function attempt(address: string): Promise<string> {
  const ssh = ['sshpass', '-p', 'wrong', 'ssh', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'PreferredAuthentications=password', '-o', 'NumberOfPasswordPrompts=1', '-o', 'ConnectTimeout=2'];
  return inNs(atk, [...ssh, '-o', 'LogLevel=ERROR', '-p', String(port), `user@${address}`, 'true'], 5_000);
}

/** A plain TCP connect from the attacker with a 1 s timeout: does sshd's banner come back? */
async function banner(address: string): Promise<boolean> {
  const probe = `const s=require('net').connect({host:${JSON.stringify(address)},port:${port}});setTimeout(()=>{console.log('timeout');process.exit(0)},1000);s.on('data',d=>{console.log(String(d).startsWith('SSH-')?'banner':'other');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});`;
  const result = (await inNs(atk, [process.execPath, '-e', probe])).trim();
  probes.push(`${new Date().toISOString()} ${address}: ${result}`);
  return result === 'banner';
}

function sshdLog(): string {
  return existsSync(join(dir, 'sshd.log')) ? readFileSync(join(dir, 'sshd.log'), 'utf8') : '';
}

function events(): { event: string; ip: string; failures: number }[] {
  const f = join(dir, 'bans.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string; failures: number }) : [];
}

/** What to print when a wait times out: the daemon's log, the firewall, sshd's log. */
async function diagnostics(what: string): Promise<string> {
  const ruleset = await inNs(srv, ['nft', 'list', 'ruleset']);
  return `${what}\n--- daemon ---\n${daemon?.output ?? ''}\n--- nft list ruleset (server) ---\n${ruleset}\n--- probes ---\n${probes.slice(-15).join('\n')}\n--- sshd log ---\n${sshdLog()}`;
}

async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  try {
    await waitFor(cond, ms, () => what, 200);
  } catch (error) {
    throw new Error(await diagnostics((error as Error).message));
  }
}

function cleanup(): void {
  sshd?.kill('SIGKILL');
  sshd = undefined;
  for (const ns of [srv, atk]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    } catch {
      // not there
    }
  }
}

describe.skipIf(skip)('daemon + real sshd: banned through nftables, IPv4 and IPv6', () => {
  beforeAll(async () => {
    if (why) throw new Error(`cannot run the daemon + real sshd tests: ${why}`);
    const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-nftables']);
    if (unbuilt) throw new Error(unbuilt);
    cleanup();
    dir = repoTempDir('daemon-sshd');
    sh(['ip', 'netns', 'add', srv]);
    sh(['ip', 'netns', 'add', atk]);
    sh(['ip', 'link', 'add', `pcldss${id}`, 'type', 'veth', 'peer', 'name', `pcldsa${id}`]);
    sh(['ip', 'link', 'set', `pcldss${id}`, 'netns', srv]);
    sh(['ip', 'link', 'set', `pcldsa${id}`, 'netns', atk]);
    for (const [ns, dev, a4, a6] of [[srv, `pcldss${id}`, srv4, srv6], [atk, `pcldsa${id}`, atk4, atk6]] as const) {
      const run = (argv: string[]) => sh(['ip', 'netns', 'exec', ns, ...argv]);
      run(['ip', 'link', 'set', 'lo', 'up']);
      run(['ip', 'addr', 'add', `${a4}/24`, 'dev', dev]);
      run(['ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
      run(['ip', 'link', 'set', dev, 'up']);
    }

    // sshd with its own config and host key, logging to a file; privilege separation needs /run/sshd.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
    const sshdConfig = [`Port ${port}`, 'ListenAddress 0.0.0.0', 'ListenAddress ::', `PidFile ${join(dir, 'sshd.pid')}`, 'LogLevel VERBOSE', 'PasswordAuthentication yes', 'KbdInteractiveAuthentication no', 'UsePAM no', 'MaxStartups 100'];
    writeFileSync(join(dir, 'sshd_config'), `${sshdConfig.join('\n')}\n`);
    writeFileSync(join(dir, 'sshd.log'), '');
    sshd = spawn('ip', ['netns', 'exec', srv, '/usr/sbin/sshd', '-D', '-f', join(dir, 'sshd_config'), '-h', join(dir, 'hostkey'), '-E', join(dir, 'sshd.log')], { stdio: 'ignore' });
    await until(() => sshdLog().includes('Server listening'), 30_000, 'sshd to listen');

    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-nftables'],
      database: join(dir, 'portcullis.db'),
      socket: join(dir, 'run/portcullis.sock'),
      // Per address (the sets are checked for the attackers themselves); sshd -E writes lines without a
      // date, so they count at their arrival.
      defaults: { maxretry: 3, findtime: '1m', bantime: '20s', ignoreip: ['127.0.0.1/8', '::1'], ipv6prefix: 128 },
      jails: {
        sshd: {
          filter: 'sshd',
          datepattern: '{NONE}',
          logpath: join(dir, 'sshd.log'),
          port,
          actions: [
            { id: 'nftables', options: { commandPrefix: ['ip', 'netns', 'exec', srv], table } },
            { id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } },
          ],
        },
      },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config, null, 2));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    cleanup();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  for (const [family, target, attacker] of [['IPv4', srv4, atk4], ['IPv6', srv6, atk6]] as const) {
    it(`bans the ${family} attacker after 3 wrong passwords and lets it back after bantime`, async () => {
      const d = daemon!;
      expect(await banner(target)).toBe(true);
      const banned = () => events().some((e) => e.event === 'ban' && e.ip === attacker);
      // sshd logs one or two failures per attempt ("Invalid user", "Failed password"): stop once banned.
      for (let i = 0; i < 6 && !banned(); i++) {
        await attempt(target);
        await new Promise((r) => setTimeout(r, 300));
      }
      await until(banned, 30_000, `a ban of ${attacker}`);
      expect(events().find((e) => e.event === 'ban' && e.ip === attacker)).toMatchObject({ failures: 3 });
      await until(async () => !(await banner(target)), 30_000, `${attacker} to be blocked`);
      expect(await inNs(srv, ['nft', 'list', 'set', 'inet', table, family === 'IPv4' ? 'j_sshd_v4' : 'j_sshd_v6'])).toContain(attacker);
      const status = await d.json<{ name: string; totalFailed: number; banned: { ip: string; failures: number }[] }>(['status', 'sshd']);
      expect(status.banned.map((b) => b.ip)).toContain(attacker);
      // bantime 20 s (long enough that the checks above never race it on a loaded machine): the daemon
      // unbans (the kernel timeout would too) and the attacker reaches sshd again.
      await until(() => events().some((e) => e.event === 'unban' && e.ip === attacker), 60_000, `the unban of ${attacker}`);
      await until(() => banner(target), 20_000, `${attacker} to be let back in`);
      // `banned <ip>` of an address that is not banned prints nothing in JSON and exits 1 (docs/control-protocol.md).
      const after = await d.client(['banned', attacker, '--json']);
      expect([after.code, JSON.parse(after.stdout)]).toEqual([1, []]);
    }, 150_000);
  }

  it('stops cleanly on SIGTERM: exit 0, the nftables table removed, the socket gone', async () => {
    const d = daemon!;
    expect(await d.stop('SIGTERM')).toBe(0);
    expect(d.output).toContain('stopped');
    expect(await inNs(srv, ['nft', 'list', 'tables'])).not.toContain(table);
    expect(existsSync(join(dir, 'run/portcullis.sock'))).toBe(false);
    expect((await d.client(['ping'])).code).toBe(3);
  }, 30_000);
});
