import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, missingBuild, repoRoot, repoTempDir, runCli, waitFor } from './daemon-process.js';

/**
 * A process silent for longer than the correlation expiry (10 minutes) is a new connection when its pid
 * comes back, through a real `portcullis start` with sshd's filter: its closing line (`Connection closed by
 * authenticating user … [preauth]`, counted only for a connection that counted nothing) counts again. The
 * daemon's clock is pinned (bench/virtual-clock.cjs) and the lines carry their dates. The sweep that frees
 * silent processes runs once a minute of log time, on whichever line comes then: here it last ran 45 s
 * before the pid came back, when that pid was still within the 10 minutes, so only the check made when the
 * pid is touched tells the process is a new one.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const T1 = NOW - 20 * 60_000;

let dir = '';
let daemon: ChildProcess | undefined;
let output = '';

const at = (time: number, pid: number, message: string) => `${new Date(time).toISOString()} web1 sshd[${pid}]: ${message}\n`;
const failed = (ip: string) => `Failed password for root from ${ip} port 4242 ssh2`;
const closed = (ip: string) => `Connection closed by authenticating user root ${ip} port 4243 [preauth]`;

describe('daemon: correlation expiry', () => {
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

  it('counts the closing line of a pid that comes back after 10 silent minutes, not of one that comes back sooner', async () => {
    dir = repoTempDir('correlation-expiry');
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const config = join(dir, 'portcullis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        plugins: ['@portcullis/filter-sshd'],
        jails: { sshd: { filter: 'sshd', logpath: log, maxretry: 10, findtime: '1h', bantime: '1h', ignoreip: [], actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
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

    appendFileSync(
      log,
      // Two connections fail once each.
      at(T1, 4711, failed('198.51.100.7')) +
        at(T1 + 1000, 4800, failed('198.51.100.8')) +
        // 4800 closes 9.5 minutes later: the same connection, already counted (the sweep runs here, frees nothing).
        at(T1 + 570_000, 4800, closed('198.51.100.8')) +
        // 4711 comes back after 10.25 silent minutes: a new connection whose close counts.
        at(T1 + 615_000, 4711, closed('198.51.100.7')),
    );

    const totalFailed = async () => {
      const status = await runCli(['status', 'sshd', '--json', '--config', config]);
      expect(status.code, status.stderr).toBe(0);
      return (JSON.parse(status.stdout) as { totalFailed: number }).totalFailed;
    };
    await waitFor(async () => (await totalFailed()) >= 3, 30_000, () => `three failures counted\n${output}`);
    // Settled: nothing more is counted.
    await new Promise((r) => setTimeout(r, 500));
    expect(await totalFailed()).toBe(3);
  });
});
