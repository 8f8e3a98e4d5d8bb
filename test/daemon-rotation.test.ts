import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JailDaemon, jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * Rotation through the daemon (SQLite positions, the sshd filter): a writer that keeps appending to the
 * renamed log while the new one appears later. Each line is one failure of a host seen only once, so with
 * `maxretry: 2` any line counted twice shows up as a ban.
 */

let jd: JailDaemon;
let group = 0;

/** `w FILE N GROUP`: N failures, one per distinct host of the group. */
function w(file: string, count: number): void {
  group++;
  let text = '';
  for (let i = 1; i <= count; i++) {
    text += `${new Date().toISOString()} host sshd[${100 + group}]: Failed password for root from 10.${group}.${i >> 8}.${i & 255} port 4242 ssh2\n`;
  }
  appendFileSync(jd.folder.path(file), text);
}

async function totalFailed(): Promise<number> {
  return (await jd.status('sshd')).totalFailed;
}

async function failuresReach(n: number): Promise<void> {
  await jd.until(async () => (await totalFailed()) >= n, `${n} failures`);
}

describe('daemon: rotation with a gap', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('counts every line once when the writer appends to the renamed file and the new one appears later', async () => {
    const folder = jailFolder('rotation');
    const dir = folder.dir;
    jd = await folder.start({
      defaults: { maxretry: 2, findtime: '10m', bantime: '1h', ignoreip: [] },
      jails: { sshd: { filter: 'sshd', logpath: folder.emptyFile('auth.log'), actions: [folder.dryRun()] } },
    });
    // w auth.log 500 4; mv auth.log auth.log.2; w auth.log.2 300 5; : > auth.log; w auth.log 700 6; w auth.log.2 200 7
    w('auth.log', 500);
    await failuresReach(500);
    renameSync(join(dir, 'auth.log'), join(dir, 'auth.log.2'));
    w('auth.log.2', 300);
    await failuresReach(800);
    writeFileSync(join(dir, 'auth.log'), '');
    await jd.until(() => /auth\.log is readable now/.test(jd.daemon.output), 'the new file opened');
    w('auth.log', 700);
    await failuresReach(1500);
    w('auth.log.2', 200);
    await failuresReach(1700);
    await new Promise((r) => setTimeout(r, 1500)); // a second read, if any, lands within the next polls
    expect(await totalFailed()).toBe(1700);
    expect(jd.bans()).toEqual([]);
  }, 90_000);
});
