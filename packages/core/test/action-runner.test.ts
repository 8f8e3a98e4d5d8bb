import { describe, expect, it } from 'vitest';
import { ActionRunner } from '../src/actions/action-runner.js';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { silentLogger } from '../src/util/logger.js';

function ticket(ip: string): BanTicket {
  return { ip, family: 4, jail: 'j', time: 0, bantime: 1000, expires: 1000, failures: 1, banCount: 1, matches: [] };
}

describe('ActionRunner', () => {
  it('coalesces a burst into one batch and keeps ban/unban order', async () => {
    const calls: string[] = [];
    const r = new ActionRunner('rec', {
      async ban(t) {
        calls.push(`ban ${t.map((x) => x.ip).join(',')}`);
      },
      async unban(t) {
        calls.push(`unban ${t.map((x) => x.ip).join(',')}`);
      },
    }, silentLogger);
    await r.start();
    for (let i = 1; i <= 5; i++) r.ban(ticket(`192.0.2.${i}`));
    r.unban(ticket('192.0.2.1'));
    r.ban(ticket('192.0.2.9'));
    await r.idle();
    expect(calls).toEqual(['ban 192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5', 'unban 192.0.2.1', 'ban 192.0.2.9']);
  });

  it('retries a failing batch without dropping it or letting later ones overtake', async () => {
    const applied: string[] = [];
    let failures = 1;
    const errors: string[] = [];
    const r = new ActionRunner('flaky', {
      async ban(t) {
        if (failures-- > 0) throw new Error('firewall said no');
        applied.push(...t.map((x) => x.ip));
      },
      async unban() {},
    }, silentLogger, { onError: (op, e) => errors.push(`${op}: ${(e as Error).message}`) });
    await r.start();
    r.ban(ticket('198.51.100.1'));
    await new Promise((res) => setImmediate(res));
    r.ban(ticket('198.51.100.2'));
    await r.idle();
    expect(errors).toEqual(['ban: firewall said no']);
    expect(applied).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it('queues bans while start keeps failing, then applies them once it succeeds', async () => {
    let starts = 0;
    const applied: string[] = [];
    const r = new ActionRunner('late', {
      async start() {
        if (++starts < 2) throw new Error('nft: not found');
      },
      async ban(t) {
        applied.push(...t.map((x) => x.ip));
      },
      async unban() {},
    }, silentLogger);
    await r.start();
    expect(r.ready).toBe(false);
    r.ban(ticket('203.0.113.7'));
    await r.idle();
    expect(r.ready).toBe(true);
    expect(applied).toEqual(['203.0.113.7']);
  });

  it('restores rules and current bans when check reports them gone', async () => {
    const log: string[] = [];
    let present = true;
    const r = new ActionRunner('chk', {
      async start() {
        log.push('start');
        present = true;
      },
      async ban(t) {
        log.push(`ban ${t.map((x) => `${x.ip}/${x.reason ?? ''}`).join(',')}`);
      },
      async unban() {},
      async check() {
        return present;
      },
    }, silentLogger);
    await r.start();
    expect(await r.check(() => [ticket('192.0.2.50')])).toBe(true);
    present = false;
    expect(await r.check(() => [ticket('192.0.2.50')])).toBe(false);
    await r.idle();
    expect(log).toEqual(['start', 'start', 'ban 192.0.2.50/restore']);
  });
});
