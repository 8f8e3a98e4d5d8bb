import { describe, expect, it } from 'vitest';
import type { BanTicket } from '../src/contract/ban-ticket.js';
import { restoreTickets } from '../src/jail/restore-tickets.js';

const ticket = (i: number): BanTicket => ({
  ip: `192.0.2.${i}`,
  family: 4,
  jail: 'sshd',
  time: 1000 + i,
  bantime: 600_000,
  expires: 601_000 + i,
  failures: 5,
  banCount: 1,
  matches: [],
  reason: 'restore',
});

// The restore batch an action is given: tickets built as they are read, read through every array API.
describe('restoreTickets', () => {
  const built: number[] = [];
  const list = restoreTickets(3, (i) => {
    built.push(i);
    return ticket(i);
  });
  const plain = [ticket(0), ticket(1), ticket(2)];

  it('reads like an array of its tickets', () => {
    expect(Array.isArray(list)).toBe(true);
    expect(list.length).toBe(3);
    expect(list[1]).toEqual(plain[1]);
    expect(list[3]).toBeUndefined();
    expect([...list]).toEqual(plain);
    expect(list.map((t) => t.ip)).toEqual(['192.0.2.0', '192.0.2.1', '192.0.2.2']);
    expect(list.filter((t) => t.time > 1000).length).toBe(2);
    const seen: string[] = [];
    list.forEach((t) => {
      seen.push(t.ip);
    });
    for (const t of list) seen.push(t.ip);
    expect(seen).toHaveLength(6);
    expect(list.slice(1)).toEqual(plain.slice(1));
    expect(JSON.parse(JSON.stringify(list))).toEqual(JSON.parse(JSON.stringify(plain)));
    expect(Object.keys(list)).toEqual(['0', '1', '2']);
    expect(1 in list && !(3 in list) && !('01' in list)).toBe(true);
    expect(list).toEqual(plain);
  });

  it('builds a ticket each time one is read and keeps none', () => {
    built.length = 0;
    const a = list[2];
    const b = list[2];
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(built).toEqual([2, 2]);
    expect(list['-1' as unknown as number]).toBeUndefined();
    expect(list['1.5' as unknown as number]).toBeUndefined();
  });

  it('cannot be changed', () => {
    const writable = list as BanTicket[];
    expect(() => {
      writable[0] = ticket(9);
    }).toThrow(TypeError);
    expect(() => writable.push(ticket(9))).toThrow(TypeError);
    expect(list.length).toBe(3);
  });
});
