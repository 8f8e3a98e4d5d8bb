import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReportServer } from '../plugins/action-abuseipdb/test/report-server.js';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/** The AbuseIPDB action through the daemon: a config file, failures in a log, one report at a local server. */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-abuseipdb']);

describe('daemon + abuseipdb action', () => {
  let dir: string;
  let daemon: DaemonProcess;
  let server: Awaited<ReturnType<typeof startReportServer>>;

  beforeAll(async () => {
    if (unbuilt) throw new Error(unbuilt);
    server = await startReportServer();
    dir = repoTempDir('abuseipdb');
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(join(dir, 'abuseipdb.key'), 'test-key\n', { mode: 0o600 });
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-abuseipdb'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 2, findtime: '10m', bantime: '10m' },
      jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'abuseipdb', options: { keyFile: 'abuseipdb.key', url: server.url, categories: [18, 22] } }] } },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await server?.close();
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('reports a ban once, with the categories and without log text; a manual ban is not reported', async () => {
    const line = (ip: string, user: string) => `${new Date().toISOString()} host sshd[300]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
    appendFileSync(join(dir, 'auth.log'), line('198.51.100.23', 'carol') + line('198.51.100.23', 'carol'));
    await waitFor(() => server.reports.length > 0, 20_000, () => `a report\n${daemon.output}`);
    expect((await daemon.client(['ban', 'sshd', '198.51.100.24'])).code).toBe(0);
    await waitFor(async () => (await daemon.json<{ banned: unknown[] }>(['status', 'sshd'])).banned.length === 2, 30_000, () => 'two bans');
    expect(server.problems).toEqual([]);
    expect(server.reports.map((r) => [r.fields.ip, r.fields.categories, r.key])).toEqual([['198.51.100.23', '18,22', 'test-key']]);
    expect(JSON.stringify(server.reports)).not.toContain('carol');
  });
});
