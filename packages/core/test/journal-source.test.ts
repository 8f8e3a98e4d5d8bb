import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJournalRecord } from '../src/sources/journal-record.js';
import { MAX_LINE_LENGTH } from '../src/contract/limits.js';
import { createJournalSource } from '../src/sources/journal-source.js';
import { bundleForChild } from '../../../test/bundle-for-child.js';
import { recordingLogger } from './file-source-harness.js';

const journald = '/lib/systemd/systemd-journald';
const why =
  process.getuid?.() !== 0
    ? 'not root (a private mount namespace for our own journald needs it)'
    : !existsSync(journald) || !existsSync('/usr/bin/systemd-cat') || !existsSync('/usr/bin/journalctl')
      ? 'systemd-journald, systemd-cat or journalctl not found (apt-get install systemd)'
      : undefined;
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping journal source test against journald: ${why}`);

describe('journal records', () => {
  it('gives MESSAGE as the message, decodes byte-array fields, rejects non-records', () => {
    const record = {
      __CURSOR: 's=1;i=2',
      __REALTIME_TIMESTAMP: '1700000000123456',
      _PID: '4242',
      SYSLOG_PID: '1',
      SYSLOG_IDENTIFIER: 'sshd',
      _HOSTNAME: 'gate',
      MESSAGE: [...Buffer.from('Invalid user \xff from 192.0.2.1', 'latin1')],
    };
    expect(decodeJournalRecord(JSON.stringify(record))).toEqual({
      line: {
        text: 'sshd[4242]: Invalid user \uFFFD from 192.0.2.1',
        message: 'Invalid user \uFFFD from 192.0.2.1',
        time: 1_700_000_000_123,
        program: 'sshd',
        pid: '4242',
        hostname: 'gate',
      },
      cursor: 's=1;i=2',
    });
    expect(decodeJournalRecord('{"MESSAGE":null,"_COMM":"cron"}')?.line).toMatchObject({ text: 'cron: ', message: '' });
    expect(decodeJournalRecord('{"__REALTIME_TIMESTAMP":"1e9"}')?.line.time).toBeUndefined();
    for (const bad of ['not json', '42', 'null', '[1]', '{"level":"warn"}']) expect(decodeJournalRecord(bad)).toBeUndefined();
  });

  it('cuts a message longer than any file line to MAX_LINE_LENGTH', () => {
    const line = decodeJournalRecord(JSON.stringify({ MESSAGE: 'x'.repeat(1_000_000) }))?.line;
    expect(line?.message?.length).toBe(MAX_LINE_LENGTH);
  });

  it('fails to start with a clear error when journalctl is missing', async () => {
    const source = createJournalSource({
      matches: [],
      logger: recordingLogger(),
      journalctl: '/nonexistent/journalctl',
    });
    await expect(source.start(() => {})).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: expect.stringContaining('journalctl not found at /nonexistent/journalctl'),
    });
  });
});

/**
 * Against a real journald: none runs on these machines, so the test starts one in a private mount namespace
 * (tmpfs on /run/systemd and /run/log), writes with systemd-cat and follows with journalctl through the
 * source (bundled from src), including a restart from the stored cursor.
 */
describe.skipIf(skip)('journal source (real journald)', () => {
  let bundle = '';
  beforeAll(async () => {
    bundle = await bundleForChild(join(import.meta.dirname, '../src/sources/journal-source.ts'));
  });

  it('follows new records only, and resumes after the stored cursor', () => {
    if (why) throw new Error(why);
    // Our own fixed harness script: no log data reaches this shell.
    const script = [
      'set -e',
      'mkdir -p /run/systemd /run/log',
      'mount -t tmpfs tmpfs /run/systemd',
      'mount -t tmpfs tmpfs /run/log',
      'mkdir -p /run/systemd/journal',
      `${journald} >/dev/null 2>&1 & JPID=$!`,
      'for i in $(seq 100); do [ -S /run/systemd/journal/stdout ] && break; sleep 0.05; done',
      '[ -S /run/systemd/journal/stdout ] || { echo "journald did not start" >&2; exit 3; }',
      'status=0; "$NODE" "$RUNNER" "$BUNDLE" || status=$?',
      'kill $JPID; wait $JPID 2>/dev/null || true',
      'exit $status',
    ].join('\n');
    const out = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 40_000,
      env: {
        ...process.env,
        NODE: process.execPath,
        RUNNER: join(import.meta.dirname, 'fixtures/journal-runner.mjs'),
        BUNDLE: bundle,
      },
    });
    expect(out.status, out.stderr).toBe(0);
    type Seen = { text: string; message?: string; program?: string; pid?: string; time?: number; origin?: string };
    const result = JSON.parse(out.stdout.trim().split('\n').pop() ?? '') as {
      first: { seen: Seen[]; latency: number };
      second: { seen: Seen[] };
      positions: Record<string, { cursor?: string }>;
      problems: string[];
    };
    const texts = (seen: Seen[]) => seen.map((l) => l.text.replace(/\[\d+\]:/, '[PID]:'));
    expect(texts(result.first.seen)).toEqual([
      'sshd[PID]: Failed password for root from 192.0.2.44 port 22 ssh2',
      'sshd[PID]: Invalid user \uFFFD\u0001 from 2001:db8::44 port 22',
    ]);
    expect(result.first.seen[0]).toMatchObject({
      message: 'Failed password for root from 192.0.2.44 port 22 ssh2',
      program: 'sshd',
      origin: 'journal',
      pid: expect.stringMatching(/^\d+$/),
    });
    expect(Math.abs((result.first.seen[0]?.time ?? 0) - Date.now())).toBeLessThan(60_000);
    // The record written while stopped is read after the restart; nothing from before is read again.
    expect(texts(result.second.seen)).toEqual([
      'sshd[PID]: Failed password for root from 192.0.2.45 port 22 ssh2 (while stopped)',
      'sshd[PID]: after restart',
    ]);
    expect(result.positions['journal:SYSLOG_IDENTIFIER=sshd']?.cursor).toMatch(/^s=/);
    expect(result.problems).toEqual([]);
    console.info(`journal source: systemd-cat exit to delivery ${result.first.latency} ms`);
  }, 60_000);
});
