import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, missingBuild, repoRoot, repoTempDir, runCli, waitFor } from './daemon-process.js';

/**
 * The findtime edge through the daemon, from a config file to a ban: a failure counts while
 * now − time < findtime, so one dated exactly findtime ago does not, and one a millisecond younger does.
 * The daemon's clock is pinned (bench/virtual-clock.cjs: `Date.now()` stays at BENCH_CLOCK_START, since no
 * one moves it) so "exactly" is exact; lines carry millisecond ISO dates.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const FINDTIME = 600_000;

let dir = '';
let daemon: ChildProcess | undefined;
let output = '';

const line = (time: number, ip: string) => `${new Date(time).toISOString()} web1 sshd[4711]: Failed password for root from ${ip} port 4242 ssh2\n`;

describe('daemon: the findtime edge', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGKILL');
      await exited;
    }
    daemon = undefined;
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('bans on failures younger than findtime and not on one exactly findtime old', async () => {
    dir = repoTempDir('findtime-edge');
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const bansFile = join(dir, 'bans.jsonl');
    const config = join(dir, 'portcullis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        plugins: ['@portcullis/filter-sshd'],
        jails: {
          edge: { filter: 'sshd', logpath: log, maxretry: 3, findtime: '10m', bantime: '1h', ignoreip: [], actions: [{ id: 'dry-run', options: { file: bansFile } }] },
        },
      }),
    );
    daemon = spawn(process.execPath, ['--require', join(repoRoot, 'bench/virtual-clock.cjs'), cliPath, 'start', '--config', config], {
      env: { ...process.env, BENCH_CLOCK_START: String(NOW) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output = '';
    daemon.stdout!.on('data', (d: Buffer) => (output += d));
    daemon.stderr!.on('data', (d: Buffer) => (output += d));
    await waitFor(() => {
      if (daemon!.exitCode !== null) throw new Error(`the daemon exited with code ${daemon!.exitCode}:\n${output}`);
      return /portcullis \S+ started/.test(output);
    }, 20_000, () => `the daemon to start\n${output}`);

    // 198.51.100.1: its first failure is exactly findtime old, so two count of maxretry 3.
    // 198.51.100.2: the same a millisecond later, so three count and it is banned.
    appendFileSync(log, line(NOW - FINDTIME, '198.51.100.1') + line(NOW - 1000, '198.51.100.1') + line(NOW - 500, '198.51.100.1'));
    appendFileSync(log, line(NOW - FINDTIME + 1, '198.51.100.2') + line(NOW - 1000, '198.51.100.2') + line(NOW - 500, '198.51.100.2'));

    const bans = () => (existsSync(bansFile) ? readFileSync(bansFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string }) : []);
    await waitFor(() => bans().some((b) => b.event === 'ban'), 30_000, () => `a ban\n${output}`);
    // The lines are read in order, so the first host's were counted before the second's ban.
    expect(bans().filter((b) => b.event === 'ban').map((b) => b.ip)).toEqual(['198.51.100.2']);
    const status = await runCli(['status', 'edge', '--json', '--config', config]);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { banned: { ip: string }[]; totalFailed: number };
    expect(s.banned.map((b) => b.ip)).toEqual(['198.51.100.2']);
    expect(s.totalFailed).toBe(5);
  });
});
