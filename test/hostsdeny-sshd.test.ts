// End to end: the hostsdeny action makes libwrap refuse a banned client, seen from another network namespace.
// 1. socat's tcpwrap (libwrap) with an explicit hosts.deny file; 2. Debian's sshd (linked with libwrap) run by
// `ip netns exec`, which bind-mounts /etc/netns/NS/hosts.deny over /etc/hosts.deny (action mode `inplace`).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import hostsdeny from '@portcullis/action-hostsdeny';
import { type ActionInstance, silentLogger } from '@portcullis/core';
import { makeTicket } from '@portcullis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const which = (bin: string) =>
  ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].map((d) => join(d, bin)).find(existsSync);
const missing = ['ip', 'socat', 'sshd', 'ssh-keygen'].filter((b) => !which(b));
const reason =
  process.getuid?.() !== 0 ? 'not root' : missing.length > 0 ? `${missing.join(', ')} not found` : undefined;
const skip = reason !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping hostsdeny end-to-end tests: ${reason}`);

const pid = process.pid;
const srv = `pcl-hd-${pid}-srv`;
const atk = `pcl-hd-${pid}-atk`;
const net = 20 + (pid % 200);
const srv4 = `10.203.${net}.1`;
const atk4 = `10.203.${net}.2`;
const srv6 = `fd00:203:${net}::1`;
const atk6 = `fd00:203:${net}::2`;
/** A second attacker address inside the banned networks (/25, /120) and one outside them, same link. */
const inside4 = `10.203.${net}.3`;
const outside4 = `10.203.${net}.200`;
const inside6 = `fd00:203:${net}::3`;
const outside6 = `fd00:203:${net}::1:2`;
const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
const inNs = (ns: string, args: string[]) => ['ip', 'netns', 'exec', ns, ...args];

let work: string;
const servers: ChildProcess[] = [];
const created: string[] = [];

function setUpNamespaces(): void {
  run(['ip', 'netns', 'add', srv]);
  run(['ip', 'netns', 'add', atk]);
  run([
    'ip',
    'link',
    'add',
    `pclhd${pid}s`,
    'netns',
    srv,
    'type',
    'veth',
    'peer',
    'name',
    `pclhd${pid}a`,
    'netns',
    atk,
  ]);
  for (const [ns, dev, a4, a6] of [
    [srv, `pclhd${pid}s`, srv4, srv6],
    [atk, `pclhd${pid}a`, atk4, atk6],
  ] as const) {
    run(inNs(ns, ['ip', 'link', 'set', 'lo', 'up']));
    run(inNs(ns, ['ip', 'addr', 'add', `${a4}/24`, 'dev', dev]));
    run(inNs(ns, ['ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']));
    run(inNs(ns, ['ip', 'link', 'set', dev, 'up']));
  }
  const dev = `pclhd${pid}a`;
  for (const a of [inside4, outside4]) run(inNs(atk, ['ip', 'addr', 'add', `${a}/24`, 'dev', dev]));
  for (const a of [inside6, outside6]) run(inNs(atk, ['ip', '-6', 'addr', 'add', `${a}/64`, 'dev', dev, 'nodad']));
}

function serve(args: string[]): void {
  const child = spawn(args[0]!, args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  servers.push(child);
}

/**
 * The first line the attacker namespace reads from `host:port` within 2 s ('' = closed without a greeting),
 * connecting from its address `from` (default: its first address of the family).
 */
function greet(host: string, port: number, from = host.includes(':') ? atk6 : atk4): Promise<string> {
  return new Promise((resolve) => {
    const bind = `,bind=${from.includes(':') ? `[${from}]` : from}`;
    const target = `${host.includes(':') ? `TCP6:[${host}]:${port}` : `TCP4:${host}:${port}`}${bind}`;
    const client = spawn('ip', inNs(atk, ['socat', '-T2', '-u', target, 'STDOUT']).slice(1), {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    client.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) client.kill('SIGKILL'); // a whole greeting line is all we need
    });
    const timer = setTimeout(() => client.kill('SIGKILL'), 4000);
    client.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function waitFor(host: string, port: number, prefix: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if ((await greet(host, port)).startsWith(prefix)) return;
    await sleep(100);
  }
  throw new Error(`no ${prefix} from ${host}:${port}`);
}

function action(file: string, options: Record<string, unknown>): ActionInstance {
  const parsed = hostsdeny.actions[0]!.options!['~standard'].validate({ file, ...options });
  if (parsed instanceof Promise || parsed.issues) throw new Error('invalid options');
  return hostsdeny.actions[0]!.create(parsed.value, {
    jail: { name: 'e2e', ports: [], protocol: 'tcp', bantime: 600_000 },
    logger: silentLogger,
    configDir: work,
    dryRun: false,
  });
}

describe.skipIf(skip)('hostsdeny end to end (network namespaces)', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pcl-hd-e2e-'));
    setUpNamespaces();
  });

  afterAll(async () => {
    for (const child of servers) child.kill('SIGKILL');
    for (const ns of [srv, atk]) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {}
    }
    await rm(`/etc/netns/${srv}`, { recursive: true, force: true });
    for (const path of created.reverse()) {
      if ((await readdir(path).catch(() => ['?'])).length === 0) await rmdir(path).catch(() => undefined);
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('socat with tcpwrap closes a banned client without a greeting (IPv4 and IPv6), and serves it after unban', async () => {
    const file = join(work, 'hosts.deny');
    await writeFile(file, '# foreign line\nALL: 192.0.2.99\n');
    const port = 7300 + (pid % 500);
    for (const listen of [`TCP4-LISTEN:${port},bind=${srv4}`, `TCP6-LISTEN:${port},bind=[${srv6}]`]) {
      const wrap = `fork,reuseaddr,tcpwrap=pcltest,hosts-deny=${file},hosts-allow=/dev/null`;
      serve(inNs(srv, ['socat', `${listen},${wrap}`, 'EXEC:/bin/echo greeting']));
    }
    await waitFor(srv4, port, 'greeting');
    await waitFor(srv6, port, 'greeting');
    const deny = action(file, {});
    await deny.start!();
    await deny.ban([makeTicket(atk4, 'e2e'), makeTicket(atk6, 'e2e')]);
    expect(await greet(srv4, port)).toBe('');
    expect(await greet(srv6, port)).toBe('');
    await deny.unban([makeTicket(atk6, 'e2e')]);
    expect(await greet(srv6, port)).toBe('greeting\n');
    expect(await greet(srv4, port)).toBe('');
    await deny.stop!();
    expect(await greet(srv4, port)).toBe('greeting\n');
  });

  it('sshd in `ip netns exec` sends no SSH-2.0 banner to a banned client (/etc/netns overlay, mode inplace)', async () => {
    for (const path of ['/etc/netns', '/run/sshd']) {
      if (!existsSync(path)) {
        await mkdir(path, { mode: 0o755 });
        created.push(path);
      }
    }
    const overlay = `/etc/netns/${srv}`;
    await mkdir(overlay, { recursive: true });
    const file = join(overlay, 'hosts.deny');
    await writeFile(file, '# hosts.deny seen by sshd inside the namespace\n');
    await writeFile(join(overlay, 'hosts.allow'), '');
    const key = join(work, 'host_ed25519');
    run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const port = 2200 + (pid % 500);
    const sshd = which('sshd')!;
    serve(
      inNs(srv, [
        sshd,
        '-D',
        '-e',
        '-f',
        '/dev/null',
        '-p',
        String(port),
        '-h',
        key,
        '-o',
        'PidFile=none',
        '-o',
        `ListenAddress=${srv4}`,
        '-o',
        `ListenAddress=${srv6}`,
      ]),
    );
    await waitFor(srv4, port, 'SSH-2.0');
    await waitFor(srv6, port, 'SSH-2.0');
    const deny = action(file, { mode: 'inplace', daemons: 'sshd' });
    await deny.start!();
    await deny.ban([makeTicket(atk4, 'e2e'), makeTicket(atk6, 'e2e')]);
    expect(await greet(srv4, port)).toBe('');
    expect(await greet(srv6, port)).toBe('');
    await deny.unban([makeTicket(atk4, 'e2e'), makeTicket(atk6, 'e2e')]);
    expect(await greet(srv4, port)).toMatch(/^SSH-2\.0-/);
    expect(await greet(srv6, port)).toMatch(/^SSH-2\.0-/);
    // Networks: libwrap's `net/mask` for IPv4 and `[net]/prefixlen` for IPv6. A second address inside the
    // banned network gets no banner; one outside it on the same link does.
    const networks = [
      makeTicket(`10.203.${net}.0`, 'e2e', { ip: `10.203.${net}.0/25`, prefix: 25 }),
      makeTicket(`fd00:203:${net}::`, 'e2e', { ip: `fd00:203:${net}::/120`, prefix: 120 }),
    ];
    await deny.ban(networks);
    expect(await readFile(file, 'utf8')).toContain(`sshd: 10.203.${net}.0/255.255.255.128\nsshd: [fd00:203:${net}::]/120\n`);
    for (const from of [inside4, atk4]) expect(await greet(srv4, port, from)).toBe('');
    for (const from of [inside6, atk6]) expect(await greet(srv6, port, from)).toBe('');
    expect(await greet(srv4, port, outside4)).toMatch(/^SSH-2\.0-/);
    expect(await greet(srv6, port, outside6)).toMatch(/^SSH-2\.0-/);
    await deny.unban(networks);
    expect(await greet(srv4, port, inside4)).toMatch(/^SSH-2\.0-/);
    expect(await greet(srv6, port, inside6)).toMatch(/^SSH-2\.0-/);
  });
});
