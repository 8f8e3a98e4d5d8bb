import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The journal source against a real journald: none runs on these machines, so the test starts one in a
 * private mount namespace (tmpfs on /run/systemd and /run/log), writes with systemd-cat and follows with
 * journalctl through the built source, including a restart from the stored cursor.
 */
const built = resolve(import.meta.dirname, '../dist/engine.js');
const journald = '/lib/systemd/systemd-journald';
const why =
  process.getuid?.() !== 0
    ? 'not root (needs a mount namespace)'
    : !existsSync(journald) || !existsSync('/usr/bin/systemd-cat') || !existsSync('/usr/bin/journalctl')
      ? 'systemd-journald, systemd-cat or journalctl not found (apt-get install systemd)'
      : !existsSync(built)
        ? 'core not built (pnpm build)'
        : undefined;
if (why && process.env.CI !== 'true') console.warn(`skipping journal source test: ${why}`);

describe.skipIf(why !== undefined && process.env.CI !== 'true')('journal source (real journald)', () => {
  it('follows new records, builds program[pid]: message lines, and resumes after the stored cursor', () => {
    if (why) throw new Error(why);
    const runner = join(import.meta.dirname, 'fixtures/journal-runner.mjs');
    // Our own fixed harness script (no log data reaches this shell).
    const script = [
      'set -e',
      'mkdir -p /run/systemd /run/log',
      'mount -t tmpfs tmpfs /run/systemd',
      'mount -t tmpfs tmpfs /run/log',
      'mkdir -p /run/systemd/journal',
      `${journald} >/dev/null 2>&1 & JPID=$!`,
      'for i in $(seq 50); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.1; done',
      `"$NODE" "$RUNNER" "$BUILT"; status=$?`,
      'kill $JPID; wait $JPID 2>/dev/null || true',
      'exit $status',
    ].join('\n');
    const out = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, NODE: process.execPath, RUNNER: runner, BUILT: built },
    });
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout.trim().split('\n').pop()!) as { first: { text: string; program: string; pid: string; time: number }[]; second: { text: string }[] };
    expect(result.first.map((l) => l.text.replace(/\[\d+\]/, '[PID]'))).toEqual([
      'sshd[PID]: Failed password for root from 192.0.2.44 port 22 ssh2',
      'sshd[PID]: Invalid user x from 2001:db8::44 port 22',
    ]);
    expect(result.first[0]).toMatchObject({ program: 'sshd' });
    expect(Math.abs(result.first[0]!.time - Date.now())).toBeLessThan(120_000);
    // The record written while stopped is read after the restart; nothing from before is read again.
    expect(result.second.map((l) => l.text.replace(/\[\d+\]/, '[PID]'))).toEqual([
      'sshd[PID]: Failed password for root from 192.0.2.45 port 22 ssh2 (while stopped)',
      'sshd[PID]: after restart',
    ]);
  }, 90_000);
});
