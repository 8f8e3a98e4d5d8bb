import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActionRunner } from '../src/actions/action-runner.js';
import type { ActionInstance } from '../src/contract/action-definition.js';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { silentLogger } from '../src/util/logger.js';
import { recordingLogger } from './recording-logger.js';

// What status and the log tell about a failing action, and how the runner retries it: on a fake clock
// (timeouts and Date only; the runner's setImmediate batching stays real).
function ticket(ip: string): BanTicket {
  return {
    ip,
    family: 4,
    jail: 'j',
    time: 0,
    bantime: 1000,
    expires: 1000,
    failures: 1,
    banCount: 1,
    matches: [],
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('ActionRunner: failures, retries and status', () => {
  it('doubles the retry delay after each failure up to 5 minutes, and reports each attempt in status and the log', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 1_000_000 });
    const logger = recordingLogger();
    const logged = logger.records;
    const errors: string[] = [];
    let failing = true;
    const applied: string[] = [];
    const runner = new ActionRunner(
      'fw',
      {
        async ban(t) {
          if (failing) throw new Error(`nft: ${'x'.repeat(600)}`);
          applied.push(...t.map((x) => x.ip));
        },
        async unban() {},
      },
      logger,
      { onError: (op) => errors.push(op) },
    );
    await runner.start();
    expect(runner.status).toEqual({ id: 'fw', state: 'ok', backlog: 0 });
    runner.ban(ticket('192.0.2.1'));
    await tick();
    await tick();
    const delays: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      delays.push(logged.at(-1)?.obj.retryInMs);
      vi.setSystemTime(Date.now() + 1);
      await vi.advanceTimersToNextTimerAsync();
      await tick();
      await tick();
    }
    expect(delays).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
    ]);
    const status = runner.status;
    expect(status.state).toBe('failing');
    expect(status.backlog).toBe(1);
    expect(status.error).toMatchObject({ operation: 'ban', since: 1_000_000, attempts: 12 });
    // nft can print a whole script back: status keeps the first 500 characters.
    expect(status.error!.message).toBe(`nft: ${'x'.repeat(495)}`);
    expect(logged.at(-1)).toMatchObject({
      level: 'error',
      obj: { operation: 'ban' },
      msg: `action fw ban failed: nft: ${'x'.repeat(600)}`,
    });
    expect(errors.length).toBe(12);
    expect(runner.pendingBans()).toEqual(new Set(['192.0.2.1']));
    // Success clears the failure and starts the delays over.
    failing = false;
    await vi.advanceTimersToNextTimerAsync();
    await runner.idle();
    expect(applied).toEqual(['192.0.2.1']);
    expect(runner.status).toEqual({ id: 'fw', state: 'ok', backlog: 0 });
    failing = true;
    runner.unban(ticket('192.0.2.1'));
    runner.ban(ticket('192.0.2.2'));
    await tick();
    await tick();
    expect(logged.at(-1)?.obj.retryInMs).toBe(1000);
    expect(runner.status.error).toMatchObject({ attempts: 1 });
    // Stop gives the queue up to 5 s, then stops anyway: no retry after it.
    const stopping = runner.stop();
    await vi.advanceTimersByTimeAsync(5000);
    await stopping;
    const attempts = errors.length;
    await vi.advanceTimersByTimeAsync(600_000);
    expect(errors.length).toBe(attempts);
    expect(runner.ready).toBe(false);
  });

  it('a start that keeps failing is retried with the same backoff, and status says starting, then failing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: 5_000 });
    let starts = 0;
    const runner = new ActionRunner(
      'late',
      {
        async start() {
          if (++starts < 4) throw new Error('nft: not found');
        },
        async ban() {},
        async unban() {},
      },
      silentLogger,
    );
    expect(runner.status).toEqual({ id: 'late', state: 'starting', backlog: 0 });
    await runner.start();
    expect(runner.ready).toBe(false);
    expect(runner.status).toMatchObject({
      state: 'failing',
      error: { operation: 'start', message: 'nft: not found', attempts: 1, since: 5_000 },
    });
    runner.ban(ticket('192.0.2.1'));
    runner.restore({ ips: ['192.0.2.2', '192.0.2.3'], ticket });
    expect(runner.backlog).toBe(3);
    expect(runner.pendingBans()).toEqual(new Set(['192.0.2.1', '192.0.2.2', '192.0.2.3']));
    await vi.advanceTimersByTimeAsync(999);
    expect(starts).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toBe(2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(starts).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(starts).toBe(3);
    expect(runner.status.error).toMatchObject({ attempts: 3, since: 5_000 });
    await vi.advanceTimersByTimeAsync(4000);
    expect(starts).toBe(4);
    await runner.idle();
    expect(runner.ready).toBe(true);
    expect(runner.status).toEqual({ id: 'late', state: 'ok', backlog: 0 });
    await runner.stop();
  });

  it('stop ends the retries of a start that never succeeds, and does not call the action stop', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let starts = 0;
    const stops: string[] = [];
    const runner = new ActionRunner(
      'never',
      {
        async start() {
          starts++;
          throw new Error('no');
        },
        async stop() {
          stops.push('stop');
        },
        async ban() {},
        async unban() {},
      },
      silentLogger,
    );
    await runner.start();
    await runner.stop();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(starts).toBe(1);
    expect(stops).toEqual([]);
  });
});

describe('ActionRunner: stop, check, campaign and list', () => {
  it('stop applies what is queued first, then calls the action stop (unless told not to), and a failing stop is reported', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    const instance: ActionInstance = {
      async ban(t) {
        calls.push(`ban ${t.map((x) => x.ip).join(',')}`);
      },
      async unban() {},
      async stop() {
        calls.push('stop');
        throw new Error('table busy');
      },
    };
    const runner = new ActionRunner('a', instance, silentLogger, {
      onError: (op, e) => errors.push(`${op}: ${(e as Error).message}`),
    });
    await runner.start();
    runner.ban(ticket('192.0.2.1'));
    await runner.stop();
    expect(calls).toEqual(['ban 192.0.2.1', 'stop']);
    expect(errors).toEqual(['stop: table busy']);
    expect(runner.ready).toBe(false);
    expect(await runner.list()).toBeUndefined();

    const quiet = new ActionRunner('b', instance, silentLogger);
    await quiet.start();
    await quiet.stop({ callStop: false });
    expect(calls).toEqual(['ban 192.0.2.1', 'stop']);
    // Started again after a stop: bans flow again.
    await quiet.start();
    quiet.ban(ticket('192.0.2.2'));
    await quiet.idle();
    expect(calls.at(-1)).toBe('ban 192.0.2.2');
  });

  it('a check that throws counts as rules missing: start again, current bans first, before what was queued', async () => {
    const log: string[] = [];
    const logger = recordingLogger();
    const warnings = logger.records;
    const runner = new ActionRunner(
      'chk',
      {
        async start() {
          log.push('start');
        },
        async ban(t) {
          log.push(`ban ${t.map((x) => x.ip).join(',')}`);
        },
        async unban(t) {
          log.push(`unban ${t.map((x) => x.ip).join(',')}`);
        },
        async check() {
          throw new Error('nft: permission denied');
        },
      },
      logger,
    );
    await runner.start();
    runner.unban(ticket('192.0.2.9'));
    expect(await runner.check(() => ({ ips: ['192.0.2.1'], ticket }))).toBe(false);
    await runner.idle();
    expect(log).toEqual(['start', 'start', 'ban 192.0.2.1', 'unban 192.0.2.9']);
    expect(warnings.map((w) => w.level)).toEqual(['warn', 'warn']);
    // Nothing to restore: only the start.
    expect(await runner.check(() => ({ ips: [], ticket }))).toBe(false);
    await runner.idle();
    expect(log.slice(4)).toEqual(['start']);
  });

  it('check is true without asking an action that cannot check, before start, and after stop', async () => {
    let asked = 0;
    const runner = new ActionRunner(
      'c',
      {
        async ban() {},
        async unban() {},
        async check() {
          asked++;
          return false;
        },
      },
      silentLogger,
    );
    expect(await runner.check(() => ({ ips: [], ticket }))).toBe(true);
    await runner.start();
    await runner.stop();
    expect(await runner.check(() => ({ ips: [], ticket }))).toBe(true);
    expect(asked).toBe(0);
    const plain = new ActionRunner('d', { async ban() {}, async unban() {} }, silentLogger);
    await plain.start();
    expect(await plain.check(() => ({ ips: ['192.0.2.1'], ticket }))).toBe(true);
  });

  it('tells a campaign at once, logs and reports a failed notice without retrying it, and says nothing after stop', async () => {
    const told: string[] = [];
    const errors: string[] = [];
    const logger = recordingLogger();
    const logged = logger.records;
    let fail = false;
    const runner = new ActionRunner(
      'mail',
      {
        async ban() {},
        async unban() {},
        async campaign(e) {
          told.push(e.target);
          if (fail) throw new Error('smtp down');
        },
      },
      logger,
      { onError: (op, e) => errors.push(`${op}: ${(e as Error).message}`) },
    );
    await runner.start();
    const event = { jail: 'sshd', target: 'root', failures: 50, sources: 12, time: 0, until: 1 };
    runner.campaign(event);
    expect(told).toEqual(['root']);
    fail = true;
    runner.campaign({ ...event, target: 'admin' });
    await tick();
    expect(errors).toEqual(['campaign: smtp down']);
    expect(logged).toEqual([
      {
        level: 'error',
        obj: expect.objectContaining({ err: expect.any(Error) }),
        msg: 'action mail campaign notice failed: smtp down',
      },
    ]);
    expect(told).toEqual(['root', 'admin']);
    await runner.stop();
    runner.campaign({ ...event, target: 'late' });
    expect(told).toEqual(['root', 'admin']);
    // An action without campaign notices: nothing to call.
    const plain = new ActionRunner('p', { async ban() {}, async unban() {} }, silentLogger);
    await plain.start();
    expect(() => plain.campaign(event)).not.toThrow();
  });

  it('lists what the action holds once started, and nothing for an action that cannot list', async () => {
    const held = [{ ip: '192.0.2.1', expires: 5 }];
    const runner = new ActionRunner(
      'l',
      { async ban() {}, async unban() {}, list: async () => held },
      silentLogger,
    );
    expect(await runner.list()).toBeUndefined();
    await runner.start();
    expect(await runner.list()).toBe(held);
    const plain = new ActionRunner('p', { async ban() {}, async unban() {} }, silentLogger);
    await plain.start();
    expect(await plain.list()).toBeUndefined();
  });

  it('counts a restore by its addresses in the backlog, unbans not among pending bans, and an empty restore not at all', async () => {
    const runner = new ActionRunner('q', { async ban() {}, async unban() {} }, silentLogger);
    runner.restore({ ips: [], ticket });
    expect(runner.backlog).toBe(0);
    runner.restore({ ips: ['192.0.2.1', '192.0.2.2'], ticket });
    runner.unban(ticket('192.0.2.3'));
    runner.ban(ticket('192.0.2.4'));
    expect(runner.backlog).toBe(4);
    expect(runner.pendingBans()).toEqual(new Set(['192.0.2.1', '192.0.2.2', '192.0.2.4']));
    await runner.start();
    await runner.idle();
    expect(runner.backlog).toBe(0);
    expect(runner.pendingBans().size).toBe(0);
  });
});
