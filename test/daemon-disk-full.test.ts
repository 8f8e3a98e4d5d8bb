import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { betterSqlitePath } from './store-reader.js';

/**
 * A full disk under the daemon's database, for real: the database lives on a small tmpfs mounted in a
 * private mount namespace of the daemon's own (`unshare -m`), filled and freed from inside it (`nsenter`).
 * Banning goes on, the log says so once for the whole burst with the path, and once space is back every
 * ban held in memory is in the file.
 */
const unbuilt = missingBuild(['plugins/filter-sshd']);
const why = process.getuid?.() !== 0 ? 'not root' : !existsSync('/usr/bin/unshare') || !existsSync('/usr/bin/nsenter') ? 'unshare or nsenter not found (apt-get install util-linux)' : undefined;
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the disk-full test: ${why}`);

let dir = '';
let daemon: DaemonProcess | undefined;

function line(ip: string, pid: number): string {
  return `${new Date().toISOString()} host sshd[${pid}]: Failed password for root from ${ip} port 4242 ssh2\n`;
}
function lines(from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += line(`10.6.${(i >> 8) & 255}.${i & 255}`, 1000 + i);
  return out;
}
const until = (cond: () => boolean | Promise<boolean>, ms: number, what: string) => waitFor(cond, ms, () => `${what}\n--- daemon ---\n${daemon?.output ?? ''}`, 50);
const bannedCount = async () => (await daemon!.json<{ currentlyBanned: number }>(['status', 'sshd'])).currentlyBanned;

/** Run a command inside the daemon's mount namespace. */
function inside(args: string[]): { status: number | null; stdout: string } {
  const r = spawnSync('nsenter', ['-t', String(daemon!.pid), '-m', '--', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout };
}

describe('a full disk under the database', () => {
  beforeAll(() => {
    if (unbuilt) throw new Error(unbuilt);
  });

  afterEach(async () => {
    // The tmpfs goes with the daemon's namespace.
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skip)('keeps banning, logs once per burst with the path, and writes the held bans once space is back', async () => {
    if (why) throw new Error(`cannot run the disk-full test: ${why}`);
    dir = repoTempDir('disk-full');
    const dbDir = join(dir, 'db');
    mkdirSync(dbDir);
    const db = join(dbDir, 'state.db');
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    const config = join(dir, 'portcullis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        database: db,
        socket: join(dir, 'p.sock'),
        plugins: ['@portcullis/filter-sshd'],
        defaults: { maxretry: 1, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: log, actions: [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }] } },
      }),
    );
    const mountTmpfs = 'mount -t tmpfs -o size=16m,mode=0700 portcullis-test "$0" && exec "$@"';
    daemon = new DaemonProcess(config, [], { wrap: ['unshare', '-m', '--propagation', 'private', 'sh', '-c', mountTmpfs, dbDir] });
    await daemon.start();
    appendFileSync(log, lines(0, 1000));
    await until(async () => (await bannedCount()) === 1000, 30_000, '1,000 bans');

    // Fill the disk: dd stops when nothing more fits.
    expect(inside(['dd', 'if=/dev/zero', `of=${join(dbDir, 'fill')}`, 'bs=64k']).status).not.toBe(0);
    appendFileSync(log, lines(1000, 6000));
    await until(async () => (await bannedCount()) === 6000, 60_000, '6,000 bans with the disk full');
    expect(daemon.output).toContain(`cannot write to the ban database ${db} (SQLITE_FULL`);
    const refused = (daemon.output.match(/cannot write to the ban database/g) ?? []).length;
    expect(refused).toBe(1);
    expect(daemon.output).not.toContain('takes writes again: wrote');

    // Space is back: the bans held in memory are written, and the log says so once.
    expect(inside(['rm', join(dbDir, 'fill')]).status).toBe(0);
    await until(() => daemon!.output.includes('takes writes again: wrote'), 20_000, 'the held bans to be written');
    expect(daemon.output).toMatch(new RegExp(`the ban database ${db.replaceAll('.', '\\.')} takes writes again: wrote \\d+ ban change\\(s\\) kept in memory`));
    const count = inside([process.execPath, '-e', "const D = require(process.argv[1]); const db = new D(process.argv[2], { readonly: true }); console.log(db.prepare('SELECT count(*) AS n FROM bans').get().n)", betterSqlitePath, db]);
    expect(count.stdout.trim()).toBe('6000');
    expect((daemon.output.match(/cannot write to the ban database/g) ?? []).length).toBe(1);
  }, 120_000);
});
