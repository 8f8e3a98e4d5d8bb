import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Test hosts for firewall tests: a "server" and an "attacker" network namespace joined by a veth pair with
 * IPv4 and IPv6 addresses, and a TCP listener in the server namespace. Only these namespaces' own
 * firewalls are touched; the host's rules never are. Everything is removed by `destroy()`, which tests
 * call in afterAll (and which also runs first, in case an earlier run was killed).
 */
export interface NetnsPair {
  readonly server: string;
  readonly attacker: string;
  readonly server4: string;
  readonly attacker4: string;
  readonly server6: string;
  readonly attacker6: string;
  readonly port: number;
  /** argv prefix that runs a command inside the server namespace. */
  readonly serverPrefix: string[];
  /** Can the attacker open a TCP connection to the server's listener (and get its greeting)? */
  canConnect(family: 4 | 6, timeoutMs?: number): boolean;
  /** Like `canConnect`, from one of the attacker's addresses (added with `inAttacker`). */
  canConnectFrom(source: string, timeoutMs?: number): boolean;
  /** Run a command in the server namespace, returning stdout. */
  inServer(argv: string[]): string;
  /** Run a command in the attacker namespace, returning stdout. */
  inAttacker(argv: string[]): string;
  destroy(): void;
}

/** Why firewall tests cannot run here, or undefined when they can. */
export function netnsUnavailable(tools: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const t of ['/usr/sbin/ip', ...tools]) if (!existsSync(t)) return `${t} not found`;
  return undefined;
}

/** Create the pair. `tag` keeps parallel suites apart (e.g. 'nft', 'ipt'). */
export function createNetnsPair(tag: string, port = 8022): NetnsPair {
  const id = `${tag}${process.pid % 10000}`;
  const server = `pcl-${id}-s`;
  const attacker = `pcl-${id}-a`;
  const n = (hash(tag) + process.pid) % 200 + 20;
  const pair = {
    server,
    attacker,
    server4: `10.231.${n}.1`,
    attacker4: `10.231.${n}.2`,
    server6: `fd00:231:${n}::1`,
    attacker6: `fd00:231:${n}::2`,
    port,
    serverPrefix: ['ip', 'netns', 'exec', server],
  };
  let listener: ChildProcess | undefined;
  const destroy = () => {
    listener?.kill('SIGKILL');
    for (const ns of [server, attacker]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  destroy();
  const run = (argv: string[]) => execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
  try {
    run(['ip', 'netns', 'add', server]);
    run(['ip', 'netns', 'add', attacker]);
    run(['ip', 'link', 'add', `v${id}s`, 'type', 'veth', 'peer', 'name', `v${id}a`]);
    run(['ip', 'link', 'set', `v${id}s`, 'netns', server]);
    run(['ip', 'link', 'set', `v${id}a`, 'netns', attacker]);
    for (const [ns, dev, a4, a6] of [[server, `v${id}s`, pair.server4, pair.server6], [attacker, `v${id}a`, pair.attacker4, pair.attacker6]] as const) {
      run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      run(['ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${a4}/24`, 'dev', dev]);
      run(['ip', 'netns', 'exec', ns, 'ip', '-6', 'addr', 'add', `${a6}/64`, 'dev', dev, 'nodad']);
      run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'set', dev, 'up']);
    }
    // A greeting TCP server on both families in the server namespace. A probe that gave up (timeout) while
    // its SYN was dropped can still complete the handshake when the ban lifts and then reset the
    // connection: the socket error handler keeps that from killing the listener for the tests after it.
    const script = `const net=require('net');const s=net.createServer(c=>{c.on('error',()=>{});c.end('hello\\n')});s.on('error',e=>{console.error(e);process.exit(1)});s.listen({port:${port},host:'::',ipv6Only:false});`;
    listener = spawn('ip', ['netns', 'exec', server, process.execPath, '-e', script], { stdio: 'ignore' });
  } catch (error) {
    destroy();
    throw error;
  }
  const canConnect = (family: 4 | 6, timeoutMs = 1000, source?: string) => {
    const host = family === 4 ? pair.server4 : pair.server6;
    const from = source === undefined ? '' : `,localAddress:${JSON.stringify(source)}`;
    const probe = `const s=require('net').connect({host:${JSON.stringify(host)},port:${port}${from}});const t=setTimeout(()=>{console.log('no');process.exit(0)},${timeoutMs});s.on('data',d=>{console.log(String(d).startsWith('hello')?'yes':'no');process.exit(0)});s.on('error',()=>{console.log('no');process.exit(0)});`;
    const out = spawnSync('ip', ['netns', 'exec', attacker, process.execPath, '-e', probe], { encoding: 'utf8', timeout: timeoutMs + 10_000 });
    return out.stdout.trim() === 'yes';
  };
  // Wait for the listener.
  for (let i = 0; i < 50 && !canConnect(4, 300); i++) spawnSync('sleep', ['0.1']);
  return {
    ...pair,
    canConnect: (family, timeoutMs) => canConnect(family, timeoutMs),
    canConnectFrom: (source, timeoutMs) => canConnect(source.includes(':') ? 6 : 4, timeoutMs, source),
    inServer: (argv) => run(['ip', 'netns', 'exec', server, ...argv]),
    inAttacker: (argv) => run(['ip', 'netns', 'exec', attacker, ...argv]),
    destroy,
  };
}

function hash(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return h;
}

/** Poll `cond` every 100 ms for up to `ms`; resolves with its last value (for effects the kernel applies a little later). */
export async function eventually(cond: () => boolean, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}
