import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The daemon across restarts, on a real SQLite file: bans in force come back, expired ones do not, no log
 * line is counted twice; and after `kill -9` in the middle of a burst, every ban that had been reported
 * (written by the dry-run action) is still there.
 */
const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'apps/portcullis/dist/cli.js');
const why = existsSync(cli) && existsSync(join(root, 'plugins/filter-sshd/dist/index.js')) ? undefined : 'packages not built (pnpm build)';
if (why && process.env.CI !== 'true') console.warn(`skipping daemon restart tests: ${why}`);

let dir: string;
let daemon: ChildProcess | undefined;
let output = '';

function line(ip: string, pid = 100): string {
  return `${new Date().toISOString()} host sshd[${pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;
}

function events(): { event: string; ip: string; jail: string; reason?: string }[] {
  const f = join(dir, 'bans.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

function client(...args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, [cli, ...args, '--json', '--config', join(dir, 'portcullis.config.json')], { encoding: 'utf8', timeout: 20_000, maxBuffer: 256 * 1024 * 1024 }));
}

async function start(): Promise<void> {
  output = '';
  daemon = spawn(process.execPath, [cli, 'start', '--config', join(dir, 'portcullis.config.json')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  daemon.stdout?.on('data', (d: Buffer) => (output += d));
  daemon.stderr?.on('data', (d: Buffer) => (output += d));
  await waitFor(() => output.includes('started'), 20_000, 'the daemon to start');
}

async function stop(signal: NodeJS.Signals): Promise<void> {
  const d = daemon;
  if (!d || d.exitCode !== null) return;
  d.kill(signal);
  await new Promise((r) => d.once('exit', r));
  daemon = undefined;
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}\n${output}`);
}

describe.skipIf(why !== undefined && process.env.CI !== 'true')('daemon restarts', () => {
  beforeAll(() => {
    if (why) throw new Error(why);
  });

  afterEach(async () => {
    await stop('SIGKILL');
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await stop('SIGKILL');
  });

  it('restores bans in force after a clean stop, drops expired ones, and reads no line twice', async () => {
    dir = mkdtempSync(join(root, 'test/.tmp-restart-'));
    writeFileSync(join(dir, 'long.log'), '');
    writeFileSync(join(dir, 'short.log'), '');
    const dryRun = { id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } };
    writeFileSync(
      join(dir, 'portcullis.config.json'),
      JSON.stringify({
        plugins: ['@portcullis/filter-sshd'],
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        defaults: { maxretry: 2, findtime: '10m', ignoreip: [] },
        jails: {
          long: { filter: 'sshd', logpath: join(dir, 'long.log'), bantime: '1h', actions: [dryRun] },
          short: { filter: 'sshd', logpath: join(dir, 'short.log'), bantime: '2s', actions: [dryRun] },
        },
      }),
    );
    await start();
    appendFileSync(join(dir, 'long.log'), line('192.0.2.10') + line('192.0.2.10') + line('192.0.2.11'));
    appendFileSync(join(dir, 'short.log'), line('2001:db8::20') + line('2001:db8::20'));
    await waitFor(() => events().filter((e) => e.event === 'ban').length === 2, 5000, 'two bans');
    await stop('SIGTERM');
    expect(output).toContain('stopped');
    await new Promise((r) => setTimeout(r, 2500)); // the short ban expires while the daemon is down

    await start();
    await waitFor(() => events().some((e) => e.reason === 'restore'), 5000, 'the restored ban');
    const banned = client('banned') as { jail: string; ip: string }[];
    expect(banned.map((b) => `${b.jail} ${b.ip}`)).toEqual(['long 192.0.2.10']);
    expect(events().filter((e) => e.reason === 'restore').map((e) => e.ip)).toEqual(['192.0.2.10']);
    // Nothing read twice: the old lines are behind the stored position, so only new lines count.
    appendFileSync(join(dir, 'long.log'), line('192.0.2.11'));
    await waitFor(() => (client('status', 'long') as { totalFailed: number }).totalFailed === 1, 5000, 'one new failure');
    const status = client('status', 'long') as { totalFailed: number; currentlyFailed: number; banned: unknown[] };
    // 192.0.2.11's first failure was before the restart (in memory only), so it is not banned now.
    expect(status.banned).toHaveLength(1);
  });

  it('loses no reported ban when killed with SIGKILL in the middle of a burst', async () => {
    dir = mkdtempSync(join(root, 'test/.tmp-kill-'));
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(
      join(dir, 'portcullis.config.json'),
      JSON.stringify({
        plugins: ['@portcullis/filter-sshd'],
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      }),
    );
    await start();
    let n = 0;
    const burst = setInterval(() => {
      let chunk = '';
      for (let i = 0; i < 200; i++, n++) chunk += line(`10.9.${(n >> 8) & 255}.${n & 255}`, 1000 + n);
      appendFileSync(join(dir, 'auth.log'), chunk);
    }, 5);
    try {
      await waitFor(() => events().length >= 1500, 20_000, '1,500 bans');
    } finally {
      clearInterval(burst);
    }
    await stop('SIGKILL');
    const reported = new Set(events().filter((e) => e.event === 'ban').map((e) => e.ip));
    expect(reported.size).toBeGreaterThanOrEqual(1500);

    await start();
    const banned = new Set((client('banned') as { ip: string }[]).map((b) => b.ip));
    const lost = [...reported].filter((ip) => !banned.has(ip));
    expect(lost).toEqual([]);
  }, 90_000);
});
