import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type JailDaemon, jailFolder, sshdFailure, useBuiltDaemons } from './jail-daemon.js';
import { betterSqlitePath } from './store-reader.js';

/**
 * A full disk under the daemon's database, for real: the database lives on a small tmpfs mounted in a
 * private mount namespace of the daemon's own (`unshare -m`), filled and freed from inside it (`nsenter`).
 * Banning goes on, the log says so once for the whole burst with the path, and once space is back every
 * ban held in memory is in the file.
 */
const why = process.getuid?.() !== 0 ? 'not root' : !existsSync('/usr/bin/unshare') || !existsSync('/usr/bin/nsenter') ? 'unshare or nsenter not found (apt-get install util-linux)' : undefined;
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the disk-full test: ${why}`);

let jd: JailDaemon;

function lines(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += sshdFailure(`10.6.${(i >> 8) & 255}.${i & 255}`, 1000 + i);
  return out;
}
const bannedCount = async () => (await jd.status('sshd')).currentlyBanned;

/** Run a command inside the daemon's mount namespace. */
function inside(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('nsenter', ['-t', String(jd.daemon.pid), '-m', '--', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

describe('a full disk under the database', () => {
  // The tmpfs goes with the daemon's namespace.
  useBuiltDaemons(['plugins/filter-sshd']);

  it.skipIf(skip)('keeps banning, logs once per burst with the path, and writes the held bans once space is back', async () => {
    if (why) throw new Error(`cannot run the disk-full test: ${why}`);
    const folder = jailFolder('disk-full');
    const dbDir = folder.path('db');
    mkdirSync(dbDir);
    const db = join(dbDir, 'state.db');
    const log = folder.emptyFile('auth.log');
    const mountTmpfs = 'mount -t tmpfs -o size=16m,mode=0700 portcullis-test "$0" && exec "$@"';
    jd = await folder.start(
      {
        defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: log, actions: [folder.dryRun()] } },
        extra: { database: db },
      },
      { spawn: { wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mountTmpfs, dbDir] } },
    );
    const { daemon } = jd;
    appendFileSync(log, lines(0, 1000));
    await jd.until(async () => (await bannedCount()) === 1000, '1,000 bans');

    // Fill the disk: dd stops when nothing more fits.
    expect(inside(['dd', 'if=/dev/zero', `of=${join(dbDir, 'fill')}`, 'bs=64k']).status).not.toBe(0);
    appendFileSync(log, lines(1000, 6000));
    await jd.until(async () => (await bannedCount()) === 6000, '6,000 bans with the disk full', 60_000);
    expect(daemon.output).toContain(`cannot write to the ban database ${db} (SQLITE_FULL`);
    const refused = (daemon.output.match(/cannot write to the ban database/g) ?? []).length;
    expect(refused).toBe(1);
    expect(daemon.output).not.toContain('takes writes again: wrote');

    // Space is back: the bans held in memory are written, and the log says so once.
    expect(inside(['rm', join(dbDir, 'fill')]).status).toBe(0);
    await jd.until(() => daemon.output.includes('takes writes again: wrote'), 'the held bans to be written', 20_000);
    expect(daemon.output).toMatch(new RegExp(`the ban database ${db.replaceAll('.', '\\.')} takes writes again: wrote \\d+ ban change\\(s\\) kept in memory`));
    const count = inside([process.execPath, '-e', "const D = require(process.argv[1]); const db = new D(process.argv[2], { readonly: true }); console.log(db.prepare('SELECT count(*) AS n FROM bans').get().n)", betterSqlitePath, db]);
    expect(count.stdout.trim()).toBe('6000');
    expect((daemon.output.match(/cannot write to the ban database/g) ?? []).length).toBe(1);
  }, 120_000);
});
