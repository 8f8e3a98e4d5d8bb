import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './daemon-process.js';
import { freeLocalPort, jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * `kill -9` leaves the control socket file behind. The next start removes it; that start used to fail with
 * `Cannot find module 'tdigest'` when `metrics:` was set (a synchronous lstat of the stale socket misled
 * Node's cached realpath, so prom-client was loaded through pnpm's symlink and could not find its own
 * dependencies). Each start here follows a kill -9, with metrics on.
 */

describe('start after kill -9', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('starts again with metrics set, every time, and serves them', async () => {
    const folder = jailFolder('kill-restart');
    const port = await freeLocalPort();
    folder.writeConfig(
      folder.config({
        jails: { sshd: { filter: 'sshd', logpath: folder.emptyFile('auth.log'), actions: [folder.dryRun()] } },
        extra: { socket: folder.path('run/p.sock'), metrics: { listen: `127.0.0.1:${port}` } },
      }),
    );
    const daemon = folder.daemon();
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
    const { dir } = jailFolder('stale-claim');
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
