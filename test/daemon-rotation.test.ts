import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/**
 * Rotation through the daemon (SQLite positions, the sshd filter): a writer that keeps appending to the
 * renamed log while the new one appears later. Each line is one failure of a host seen only once, so with
 * `maxretry: 2` any line counted twice shows up as a ban.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);

let dir = '';
let daemon: DaemonProcess | undefined;
let group = 0;

/** `w FILE N GROUP`: N failures, one per distinct host of the group. */
function w(file: string, count: number): void {
  group++;
  let text = '';
  for (let i = 1; i <= count; i++) {
    text += `${new Date().toISOString()} host sshd[${100 + group}]: Failed password for root from 10.${group}.${i >> 8}.${i & 255} port 4242 ssh2\n`;
  }
  appendFileSync(join(dir, file), text);
}

function bans(): unknown[] {
  const f = join(dir, 'bans.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
}

async function totalFailed(): Promise<number> {
  return (await daemon!.json<{ totalFailed: number }>(['status', 'sshd'])).totalFailed;
}

async function failuresReach(n: number): Promise<void> {
  await waitFor(async () => (await totalFailed()) >= n, 30_000, () => `${n} failures\n--- daemon ---\n${daemon?.output}`);
}

describe('daemon: rotation with a gap', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('counts every line once when the writer appends to the renamed file and the new one appears later', async () => {
    dir = repoTempDir('rotation');
    writeFileSync(join(dir, 'auth.log'), '');
    const config = join(dir, 'portcullis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: join(dir, 'state.db'),
        socket: join(dir, 'p.sock'),
        plugins: ['@portcullis/filter-sshd'],
        defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: join(dir, 'auth.log'), actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      }),
    );
    daemon = new DaemonProcess(config);
    await daemon.start();
    // w auth.log 500 4; mv auth.log auth.log.2; w auth.log.2 300 5; : > auth.log; w auth.log 700 6; w auth.log.2 200 7
    w('auth.log', 500);
    await failuresReach(500);
    renameSync(join(dir, 'auth.log'), join(dir, 'auth.log.2'));
    w('auth.log.2', 300);
    await failuresReach(800);
    writeFileSync(join(dir, 'auth.log'), '');
    await waitFor(() => /auth\.log is readable now/.test(daemon!.output), 30_000, () => `the new file opened\n${daemon?.output}`);
    w('auth.log', 700);
    await failuresReach(1500);
    w('auth.log.2', 200);
    await failuresReach(1700);
    await new Promise((r) => setTimeout(r, 1500)); // a second read, if any, lands within the next polls
    expect(await totalFailed()).toBe(1700);
    expect(bans()).toEqual([]);
  }, 90_000);
});
