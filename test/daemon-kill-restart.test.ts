import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoRoot, repoTempDir } from './daemon-process.js';

/**
 * `kill -9` leaves the control socket file behind. The next start removes it; that start used to fail with
 * `Cannot find module 'tdigest'` when `metrics:` was set (a synchronous lstat of the stale socket misled
 * Node's cached realpath, so prom-client was loaded through pnpm's symlink and could not find its own
 * dependencies). Each start here follows a kill -9, with metrics on.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
let dir = '';
let daemon: DaemonProcess | undefined;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('start after kill -9', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('starts again with metrics set, every time, and serves them', async () => {
    dir = repoTempDir('kill-restart');
    writeFileSync(join(dir, 'auth.log'), '');
    const port = await freePort();
    const config = {
      plugins: ['@portcullis/filter-sshd'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'run/p.sock'),
      metrics: { listen: `127.0.0.1:${port}` },
      jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    for (let round = 0; round < 3; round++) {
      await daemon.start();
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(/^portcullis_banned\{jail="sshd"\} 0$/m);
      expect(await daemon.stop('SIGKILL')).toBe('SIGKILL');
    }
    await daemon.start();
    expect(daemon.output).not.toContain('Cannot find module');
    expect((await daemon.client(['ping'])).code).toBe(0);
  }, 90_000);

  it('claiming a stale socket leaves later imports of symlinked packages intact', async () => {
    // The mechanism alone, deterministic: in a fresh Node process, a stale socket (bound, then its file
    // kept while the server closes), claimed as start does, then the metrics module imported as start does.
    dir = repoTempDir('stale-claim');
    const script = `
      import { linkSync, unlinkSync } from 'node:fs';
      import { createServer } from 'node:net';
      const [dir, serverModule, metricsModule] = process.argv.slice(1);
      const sock = dir + '/p.sock';
      const server = createServer();
      await new Promise((r) => server.listen(sock, r));
      linkSync(sock, dir + '/kept');
      await new Promise((r) => server.close(r));
      linkSync(dir + '/kept', sock);
      unlinkSync(dir + '/kept');
      const { claimSocketPath } = await import(serverModule);
      await claimSocketPath(sock);
      const { createMetrics } = await import(metricsModule);
      createMetrics();
      process.stdout.write('metrics loaded');
    `;
    const dist = join(repoRoot, 'apps/portcullis/dist');
    const r = await new Promise<{ code: number; out: string }>((done) =>
      execFile(process.execPath, ['--input-type=module', '-e', script, dir, join(dist, 'control/control-server.js'), join(dist, 'daemon/metrics.js')], { encoding: 'utf8' }, (error, stdout, stderr) =>
        done({ code: error ? 1 : 0, out: stdout + stderr }),
      ),
    );
    expect(r.out).toBe('metrics loaded');
    expect(r.code).toBe(0);
  }, 30_000);
});
