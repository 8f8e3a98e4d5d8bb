import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cliPath } from './daemon-process.js';
import { type JailFolder, jailFolder, useBuiltDaemons } from './jail-daemon.js';

/**
 * A daemon holding 50,000 bans answers `banned`, `status <jail>` and `unban --all` in parts, completely:
 * the parts add up to what the end line announces, the client prints every ban, and `unban --all` lifts
 * every one (the dry-run action sees each unban). Timings are in `bench/control.mjs`, not here.
 */
const BANS = 50_000;
let folder: JailFolder;

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** Send one request line and collect every line answering it until `done` says the answer is complete. */
function exchange(socket: string, req: object, done: (lines: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    const lines: Record<string, unknown>[] = [];
    let rest = '';
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
      if (done(lines)) {
        s.destroy();
        resolve(lines);
      }
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`connection closed after ${lines.length} line(s)`)));
    s.write(`${JSON.stringify({ v: 1, id: 5, ...req })}\n`);
  });
}

/** The built CLI with a generous timeout (a busy machine), resolving with exit code and output. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [cliPath, ...args, '--config', folder.configPath], { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('long answers from a daemon holding 50,000 bans', () => {
  useBuiltDaemons(['plugins/filter-sshd']);

  it('streams banned, status and unban --all completely', async () => {
    folder = jailFolder('large-answers');
    const socket = folder.path('run/p.sock');
    const { daemon } = await folder.start({
      jails: { sshd: { filter: 'sshd', logpath: folder.emptyFile('auth.log'), bantime: '1d', ignoreip: [], actions: [folder.dryRun()] } },
      extra: { socket },
    });
    const ips = Array.from({ length: BANS }, (_, i) => address(i));
    const [banned] = await exchange(socket, { cmd: 'ban', args: { jail: 'sshd', ips } }, (l) => l.length === 1);
    expect((banned as { result: { banned: string[] } }).result.banned).toHaveLength(BANS);

    // In parts: a head, parts of at most 200, and an end announcing what was sent.
    const lines = await exchange(socket, { cmd: 'banned', stream: true }, (l) => l.some((x) => 'end' in x));
    expect(lines[0]).toMatchObject({ id: 5, ok: true, result: [], stream: '' });
    const parts = lines.filter((l) => 'part' in l).map((l) => l.part as { ip: string }[]);
    expect(parts.length).toBeGreaterThanOrEqual(BANS / 200);
    expect(parts.every((p) => p.length <= 200)).toBe(true);
    expect(lines.at(-1)).toEqual({ v: 1, id: 5, end: { items: BANS } });
    expect(new Set(parts.flat().map((b) => b.ip)).size).toBe(BANS);

    // The client: every ban printed, as JSON and as a table.
    const json = await cli(['banned', '--json']);
    expect(json.code).toBe(0);
    const list = JSON.parse(json.stdout) as { ip: string }[];
    expect(new Set(list.map((b) => b.ip))).toEqual(new Set(ips));
    const text = await cli(['banned']);
    expect(text.code).toBe(0);
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(BANS + 1);
    const status = await cli(['status', 'sshd', '--json']);
    expect(status.code).toBe(0);
    const jail = JSON.parse(status.stdout) as { currentlyBanned: number; banned: unknown[] };
    expect(jail.currentlyBanned).toBe(BANS);
    expect(jail.banned).toHaveLength(BANS);

    // unban --all lifts every ban, reports each once, and the action sees each unban.
    const unban = await cli(['unban', '--all', '--json']);
    expect(unban.code).toBe(0);
    const lifted = (JSON.parse(unban.stdout) as { unbanned: { ip: string }[] }).unbanned;
    expect(new Set(lifted.map((u) => u.ip))).toEqual(new Set(ips));
    expect(lifted).toHaveLength(BANS);
    expect(JSON.parse((await cli(['banned', '--json'])).stdout)).toEqual([]);
    const events = readFileSync(folder.bansPath, 'utf8').split('\n').filter((l) => l.includes('"event":"unban"'));
    expect(events).toHaveLength(BANS);
    // Nothing left to lift: nothing that was asked happened.
    expect(await cli(['unban', '--all'])).toMatchObject({ code: 1, stdout: 'nothing unbanned\n' });
    // And the store agrees: a restart restores nothing.
    await daemon.stop();
    await daemon.start();
    expect(JSON.parse((await cli(['banned', '--json'])).stdout)).toEqual([]);
  }, 240_000);
});
