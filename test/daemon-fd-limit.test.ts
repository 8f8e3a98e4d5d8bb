import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * A glob matching far more files than the open-file limit, through a real daemon started under
 * `prlimit --nofile=256`: it keeps its control socket, says once how many files it leaves out, and reads
 * the ones that fit.
 */
const why = !existsSync('/usr/bin/prlimit') ? 'prlimit not found (apt-get install util-linux)' : undefined;
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the open-file limit daemon test: ${why}`);

const FILES = 9000;

describe('daemon: a glob over more files than the open-file limit', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it.skipIf(skip)('answers ping and status, warns once with the count, and counts failures in the files it reads', async () => {
    if (why) throw new Error(`cannot run the open-file limit test: ${why}`);
    const folder = jailFolder('fdlimit');
    const logs = folder.path('logs');
    mkdirSync(logs);
    const name = (i: number) => join(logs, `site${String(i).padStart(5, '0')}.log`);
    for (let i = 0; i < FILES; i++) writeFileSync(name(i), '');
    const jd = await folder.start(
      {
        defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ignoreip: [] },
        jails: { sshd: { filter: 'sshd', logpath: join(logs, '*.log'), actions: [folder.dryRun()] } },
      },
      { spawn: { wrap: ['prlimit', '--nofile=256'] }, startTimeoutMs: 60_000 },
    );
    const { daemon } = jd;
    const pid = daemon.pid!;
    expect((await daemon.client(['ping'])).code).toBe(0);

    const warnings = daemon.output.split('\n').filter((l) => /are not read: the open-file limit \(256\)/.test(l));
    expect(warnings).toHaveLength(1);
    const skipped = Number(/(\d+) of the 9000 files/.exec(warnings[0]!)?.[1]);
    const read = FILES - skipped;
    expect(read).toBe(256 - 128); // the limit less the 128 descriptors kept for the socket, the store and the rest
    expect(daemon.output).not.toMatch(/EMFILE/);
    expect(readdirSync(`/proc/${pid}/fd`).length).toBeLessThan(256);

    // One failure per file, each from another host: the files read count one each, the rest nothing.
    for (let i = 0; i < FILES; i++) {
      appendFileSync(name(i), `${new Date().toISOString()} host sshd[1]: Failed password for root from 10.9.${i >> 8}.${i & 255} port 4242 ssh2\n`);
    }
    const status = () => jd.status('sshd');
    await jd.until(async () => (await status()).totalFailed >= read, `${read} failures`);
    await new Promise((r) => setTimeout(r, 1500)); // a poll later: still the files read, no more
    expect((await status()).totalFailed).toBe(read);
    expect((await daemon.client(['ping'])).code).toBe(0);
    expect(daemon.output).not.toMatch(/EMFILE/);
    expect(daemon.output.split('\n').filter((l) => /open-file limit/.test(l))).toHaveLength(1);
  }, 120_000);
});
