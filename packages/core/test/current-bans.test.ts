import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { CurrentBans } from '../src/jail/current-bans.js';

function ticket(ip: string, over: Partial<BanTicket> = {}): BanTicket {
  return {
    ip,
    family: 4,
    jail: 'sshd',
    time: 1_700_000_000_000,
    bantime: 600_000,
    expires: 1_700_000_600_000,
    failures: 5,
    banCount: 1,
    matches: ['a line'],
    users: ['root'],
    reason: 'failures',
    ...over,
  };
}

describe('CurrentBans', () => {
  it('keeps bans without their lines and gives them back as tickets', () => {
    const bans = new CurrentBans('sshd');
    bans.set(ticket('192.0.2.1'));
    bans.set(
      ticket('2001:db8::1', {
        family: 6,
        bantime: -1,
        expires: Number.POSITIVE_INFINITY,
        failures: 0,
        banCount: 3,
        reason: 'manual',
      }),
    );
    bans.set(ticket('192.0.2.2', { reason: undefined }));
    expect(bans.size).toBe(3);
    expect(bans.get('192.0.2.1')).toEqual({ ...ticket('192.0.2.1'), matches: [], users: undefined });
    expect(bans.get('2001:db8::1')).toMatchObject({
      family: 6,
      bantime: -1,
      expires: Number.POSITIVE_INFINITY,
      failures: 0,
      banCount: 3,
      reason: 'manual',
    });
    expect(bans.get('192.0.2.2')?.reason).toBeUndefined();
    expect(bans.expires('192.0.2.1')).toBe(1_700_000_600_000);
    expect(bans.expires('192.0.2.9')).toBeUndefined();
    expect(bans.all().map((t) => t.ip)).toEqual(['192.0.2.1', '2001:db8::1', '192.0.2.2']);
    bans.set(ticket('192.0.2.1', { banCount: 2, reason: 'restore' }));
    expect(bans.get('192.0.2.1')).toMatchObject({ banCount: 2, reason: 'restore' });
    expect(bans.delete('192.0.2.1')).toBe(true);
    expect(bans.delete('192.0.2.1')).toBe(false);
    expect(bans.has('192.0.2.1')).toBe(false);
    expect(bans.size).toBe(2);
  });

  it('grows, reuses slots and shrinks after a flood without mixing bans up', () => {
    const bans = new CurrentBans('sshd');
    const ip = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    for (let i = 0; i < 5000; i++)
      bans.set(ticket(ip(i), { time: i, expires: i + 1000, failures: i % 7, banCount: i }));
    for (let i = 0; i < 4900; i++) bans.delete(ip(i));
    for (let i = 5000; i < 5050; i++)
      bans.set(ticket(ip(i), { time: i, expires: i + 1000, failures: i % 7, banCount: i }));
    expect(bans.size).toBe(150);
    for (let i = 4900; i < 5050; i++)
      expect(bans.get(ip(i))).toMatchObject({ time: i, expires: i + 1000, failures: i % 7, banCount: i });
    expect(bans.all().map((t) => t.banCount)).toEqual(Array.from({ length: 150 }, (_, k) => 4900 + k));
  });

  it('lists bans one at a time, skipping those lifted meanwhile, and takes a ban out whole', () => {
    const bans = new CurrentBans('sshd');
    for (let i = 0; i < 200; i++) bans.set(ticket(`10.0.0.${i}`, { failures: i }));
    const seen: string[] = [];
    for (const t of bans.tickets()) {
      seen.push(t.ip);
      // Lifting most of the table while listing it shrinks and renumbers it (rebuild): nothing breaks.
      if (seen.length === 10) for (let i = 50; i < 200; i++) bans.delete(`10.0.0.${i}`);
      expect(t).toEqual({ ...ticket(t.ip, { failures: Number(t.ip.split('.')[3]) }), matches: [], users: undefined });
    }
    expect(seen).toHaveLength(50);
    expect(bans.addresses()).toEqual(seen);
    expect(bans.take('10.0.0.7')).toEqual({ ...ticket('10.0.0.7', { failures: 7 }), matches: [], users: undefined });
    expect(bans.take('10.0.0.7')).toBeUndefined();
    expect(bans.has('10.0.0.7')).toBe(false);
    expect(bans.size).toBe(49);
  });
});
