import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dryRunAction } from '../src/actions/dry-run-action.js';
import type { ActionInstance } from '../src/contract/action-definition.js';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { silentLogger } from '../src/util/logger.js';

// The dry-run action's record is what users read (and what `portcullis status` replays after a restart):
// every field of every event kind, the options it accepts, and the replay of its own file.
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dry-run-'));
  dirs.push(dir);
  return dir;
}

function ticket(ip: string, fields: Partial<BanTicket> = {}): BanTicket {
  const bantime = fields.bantime ?? 600_000;
  const time = fields.time ?? T0;
  return {
    ip,
    family: ip.includes(':') ? 6 : 4,
    jail: 'sshd',
    time,
    bantime,
    expires: bantime < 0 ? Number.POSITIVE_INFINITY : time + bantime,
    failures: 3,
    banCount: 1,
    matches: [],
    ...fields,
  };
}

function create(
  options: { file?: string; fsync?: boolean; restoreEvents?: boolean },
  configDir: string,
  jail = 'sshd',
): ActionInstance {
  const parsed = dryRunAction.options!['~standard'].validate(options);
  if ('issues' in parsed && parsed.issues) throw new Error(JSON.stringify(parsed.issues));
  return dryRunAction.create((parsed as { value: never }).value, {
    jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000 },
    logger: silentLogger,
    configDir,
    dryRun: true,
  });
}

const events = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const validate = (value: unknown) => dryRunAction.options!['~standard'].validate(value);

describe('dry-run action: event format', () => {
  it('writes every field of ban events: address, network, permanent, and each reason but failures', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl' }, dir);
    await action.start!();
    await action.ban([
      ticket('192.0.2.1', { reason: 'failures' }),
      ticket('2001:db8:1:2::/64', { family: 6, prefix: 64, time: T0 + 1, failures: 5, reason: 'subnet' }),
      ticket('198.51.100.0/24', { prefix: 24, bantime: -1, failures: 0, reason: 'manual' }),
      ticket('192.0.2.2', { bantime: 1500, reason: 'campaign' }),
      ticket('192.0.2.3', { bantime: 1499 }),
    ]);
    await action.stop!();
    expect(events(join(dir, 'events.jsonl'))).toEqual([
      {
        event: 'ban',
        jail: 'sshd',
        ip: '192.0.2.1',
        time: '2026-06-01T12:00:00.000Z',
        bantime: 600,
        failures: 3,
      },
      {
        event: 'ban',
        jail: 'sshd',
        ip: '2001:db8:1:2::/64',
        time: '2026-06-01T12:00:00.001Z',
        bantime: 600,
        failures: 5,
        prefixlen: 64,
        reason: 'subnet',
      },
      {
        event: 'ban',
        jail: 'sshd',
        ip: '198.51.100.0/24',
        time: '2026-06-01T12:00:00.000Z',
        bantime: -1,
        failures: 0,
        prefixlen: 24,
        reason: 'manual',
      },
      {
        event: 'ban',
        jail: 'sshd',
        ip: '192.0.2.2',
        time: '2026-06-01T12:00:00.000Z',
        bantime: 2,
        failures: 3,
        reason: 'campaign',
      },
      {
        event: 'ban',
        jail: 'sshd',
        ip: '192.0.2.3',
        time: '2026-06-01T12:00:00.000Z',
        bantime: 1,
        failures: 3,
      },
    ]);
    // Field order is part of the format (people grep and cut these lines).
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n')[1]).toBe(
      '{"event":"ban","jail":"sshd","ip":"2001:db8:1:2::/64","time":"2026-06-01T12:00:00.001Z","bantime":600,"failures":5,"prefixlen":64,"reason":"subnet"}',
    );
  });

  it('stamps unban events with the time they happen, one time for the batch, every other field from the ticket', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl' }, dir);
    const before = Date.now();
    await action.unban([
      ticket('192.0.2.1'),
      ticket('2001:db8::/48', { family: 6, prefix: 48, bantime: -1, failures: 0, reason: 'manual' }),
      ticket('192.0.2.9', { reason: 'restore' }),
    ]);
    const after = Date.now();
    await action.stop!();
    const written = events(join(dir, 'events.jsonl'));
    const time = written[0]!.time as string;
    expect(time).toMatch(ISO);
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(after);
    expect(written).toEqual([
      { event: 'unban', jail: 'sshd', ip: '192.0.2.1', time, bantime: 600, failures: 3 },
      {
        event: 'unban',
        jail: 'sshd',
        ip: '2001:db8::/48',
        time,
        bantime: -1,
        failures: 0,
        prefixlen: 48,
        reason: 'manual',
      },
      // restoreEvents only concerns bans put back: the unban of a restored ban is always written.
      { event: 'unban', jail: 'sshd', ip: '192.0.2.9', time, bantime: 600, failures: 3, reason: 'restore' },
    ]);
  });

  it('writes restore events only with restoreEvents: true, with every field and reason "restore"', async () => {
    const restored = [
      ticket('192.0.2.5', { reason: 'restore', time: T0 - 60_000, failures: 4 }),
      ticket('2001:db8::5', { family: 6, reason: 'restore', bantime: -1 }),
    ];
    const quiet = tempDir();
    const off = create({ file: 'events.jsonl' }, quiet);
    await off.ban(restored);
    await off.ban([ticket('192.0.2.6')]);
    await off.stop!();
    expect(events(join(quiet, 'events.jsonl')).map((e) => e.ip)).toEqual(['192.0.2.6']);

    const loud = tempDir();
    const on = create({ file: 'events.jsonl', restoreEvents: true }, loud);
    await on.ban(restored);
    await on.stop!();
    expect(events(join(loud, 'events.jsonl'))).toEqual([
      {
        event: 'ban',
        jail: 'sshd',
        ip: '192.0.2.5',
        time: '2026-06-01T11:59:00.000Z',
        bantime: 600,
        failures: 4,
        reason: 'restore',
      },
      {
        event: 'ban',
        jail: 'sshd',
        ip: '2001:db8::5',
        time: '2026-06-01T12:00:00.000Z',
        bantime: -1,
        failures: 3,
        reason: 'restore',
      },
    ]);
  });

  it('a batch of only restored bans (restoreEvents off) writes nothing, not even an empty file', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl' }, dir);
    await action.ban([ticket('192.0.2.5', { reason: 'restore' })]);
    await action.stop!();
    expect(existsSync(join(dir, 'events.jsonl'))).toBe(false);
  });

  it('writes a campaign event with its target, counts and both times', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl', fsync: true }, dir);
    await action.campaign!({
      jail: 'sshd',
      target: 'root',
      failures: 50,
      sources: 12,
      time: T0,
      until: T0 + 3_600_000,
    });
    await action.stop!();
    expect(readFileSync(join(dir, 'events.jsonl'), 'utf8')).toBe(
      '{"event":"campaign","jail":"sshd","target":"root","failures":50,"sources":12,"time":"2026-06-01T12:00:00.000Z","until":"2026-06-01T13:00:00.000Z"}\n',
    );
  });

  it('writes a batch larger than one write slice completely and in order, skipping only restored bans', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl' }, dir);
    const tickets = Array.from({ length: 1203 }, (_, i) =>
      ticket(`10.0.${i >> 8}.${i & 255}`, i % 100 === 7 ? { reason: 'restore' } : {}),
    );
    await action.ban(tickets);
    await action.stop!();
    expect(events(join(dir, 'events.jsonl')).map((e) => e.ip)).toEqual(
      tickets.filter((t) => t.reason !== 'restore').map((t) => t.ip),
    );
  });

  it('writes to stdout without a file, and then has no record to list', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const action = create({}, tempDir());
    expect(action.list).toBeUndefined();
    await action.ban([ticket('192.0.2.1')]);
    await action.campaign!({
      jail: 'sshd',
      target: 'root',
      failures: 5,
      sources: 2,
      time: T0,
      until: T0 + 1000,
    });
    vi.restoreAllMocks();
    expect(
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).event),
    ).toEqual(['ban', 'campaign']);
    expect(JSON.parse(out[0]!)).toEqual({
      event: 'ban',
      jail: 'sshd',
      ip: '192.0.2.1',
      time: '2026-06-01T12:00:00.000Z',
      bantime: 600,
      failures: 3,
    });
  });

  it('resolves a relative file from the config folder, creates its folders, and appends after a stop', async () => {
    const dir = tempDir();
    const action = create({ file: 'var/log/dry/events.jsonl' }, dir);
    await action.ban([ticket('192.0.2.1')]);
    await action.stop!();
    await action.ban([ticket('192.0.2.2')]);
    await action.stop!();
    const again = create({ file: join(dir, 'var/log/dry/events.jsonl') }, '/nonexistent');
    await again.ban([ticket('192.0.2.3')]);
    await again.stop!();
    expect(events(join(dir, 'var/log/dry/events.jsonl')).map((e) => e.ip)).toEqual([
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.3',
    ]);
  });
});

describe('dry-run action: replaying its record (list)', () => {
  it('lists the bans still in force from its own file: unbans lift, other jails and foreign lines ignored', async () => {
    const dir = tempDir();
    const file = join(dir, 'events.jsonl');
    const action = create({ file: 'events.jsonl' }, dir);
    expect(await action.list!()).toEqual([]);
    await action.ban([
      ticket('192.0.2.1'),
      ticket('192.0.2.2', { bantime: -1 }),
      ticket('2001:db8::/64', { family: 6, prefix: 64, time: T0 + 5000, bantime: 60_000 }),
    ]);
    await action.unban([ticket('192.0.2.1')]);
    await create({ file }, dir, 'web').ban([ticket('192.0.2.7', { jail: 'web' })]);
    const line = (e: Record<string, unknown>) =>
      `${JSON.stringify({ event: 'ban', jail: 'sshd', ip: '192.0.2.99', time: new Date(T0).toISOString(), bantime: 60, ...e })}\n`;
    // Lines this action did not write: a wrong type in each field, an edit, a torn last line.
    for (const bad of [{ event: 1 }, { jail: null }, { ip: 4 }, { time: T0 }, { bantime: '60' }])
      writeFileSync(file, line(bad), { flag: 'a' });
    writeFileSync(file, 'not json\n\n{"event":"ban","jail":"sshd","ip":"192.0.2.98"', { flag: 'a' });
    expect(await action.list!()).toEqual([
      { ip: '192.0.2.2', expires: Number.POSITIVE_INFINITY },
      { ip: '2001:db8::/64', expires: T0 + 65_000 },
    ]);
    await action.stop!();
  });

  it('a re-ban after an unban is held again, with the later ban time', async () => {
    const dir = tempDir();
    const action = create({ file: 'events.jsonl' }, dir);
    await action.ban([ticket('192.0.2.1')]);
    await action.unban([ticket('192.0.2.1')]);
    await action.ban([ticket('192.0.2.1', { time: T0 + 60_000, bantime: 120_000 })]);
    expect(await action.list!()).toEqual([{ ip: '192.0.2.1', expires: T0 + 180_000 }]);
    await action.stop!();
  });
});

describe('dry-run action: options', () => {
  it('defaults every option when none are given', () => {
    expect(validate(undefined)).toEqual({ value: { fsync: false, restoreEvents: false } });
    expect(validate({})).toEqual({ value: { file: undefined, fsync: false, restoreEvents: false } });
    expect(validate({ file: 'a.jsonl', fsync: true, restoreEvents: true })).toEqual({
      value: { file: 'a.jsonl', fsync: true, restoreEvents: true },
    });
  });

  it('refuses what is not an object', () => {
    for (const value of [null, [], 'events.jsonl', 3])
      expect(validate(value), JSON.stringify(value)).toEqual({ issues: [{ message: 'expected an object' }] });
  });

  it('reports every wrong option at once, each with its path', () => {
    expect(validate({ file: '', fsync: 'yes', restoreEvents: 1, rotate: true })).toEqual({
      issues: [
        { message: 'expected a non-empty string (a file path)', path: ['file'] },
        { message: 'expected a boolean', path: ['fsync'] },
        { message: 'expected a boolean', path: ['restoreEvents'] },
        { message: 'unknown option "rotate"; known: file, fsync, restoreEvents', path: ['rotate'] },
      ],
    });
    expect(validate({ file: 7 })).toEqual({
      issues: [{ message: 'expected a non-empty string (a file path)', path: ['file'] }],
    });
  });
});
