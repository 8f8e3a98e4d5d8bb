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
    const held = () => ({ ips: ['192.0.2.50'], ticket: (ip: string) => ({ ...ticket(ip), reason: 'restore' as const }) });
    expect(await r.check(held)).toBe(true);
    present = false;
    expect(await r.check(held)).toBe(false);
    await r.idle();
    expect(log).toEqual(['start', 'start', 'ban 192.0.2.50/restore']);
  });

  it('puts a restore out as one batch, tickets built as the bans are when it goes out', async () => {
    const batches: string[][] = [];
    const r = new ActionRunner('x', {
      async ban(t) {
        batches.push(t.map((x) => `${x.ip}/${x.reason ?? ''}`));
      },
      async unban() {},
    }, silentLogger);
    await r.start();
    const ips = Array.from({ length: 5000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const lifted = new Set(['10.0.0.7']);
    r.restore({ ips, ticket: (ip) => (lifted.has(ip) ? undefined : { ...ticket(ip), reason: 'restore' }) });
    expect(r.backlog).toBe(5000);
    expect(r.pendingBans().has('10.0.19.135')).toBe(true);
    r.ban(ticket('192.0.2.1'));
    await r.idle();
    expect(batches.length).toBe(1);
    expect(batches[0]!.length).toBe(5000);
    expect(batches[0]!.includes('10.0.0.7/restore')).toBe(false);
    expect(batches[0]!.at(-1)).toBe('192.0.2.1/');
    expect(r.backlog).toBe(0);
  });
});
