import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActionInstance, silentLogger } from '@portcullis/core';
import { makeTicket } from '@portcullis/testkit';
import { describe, expect, it } from 'vitest';
import { abuseipdbAction } from '../src/index.js';
import { abuseipdbOptions } from '../src/options.js';
import { ReportBudget, reportComment, unreportable } from '../src/report-policy.js';
import { startReportServer } from './report-server.js';

function create(options: Record<string, unknown>, configDir = '/'): ActionInstance {
  return abuseipdbAction.create(abuseipdbOptions.parse(options), { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir, dryRun: false });
}

describe('abuseipdb report policy', () => {
  it('never reports private, local or ULA addresses', () => {
    for (const ip of ['10.1.2.3', '127.0.0.1', '172.16.0.9', '192.168.1.1', '169.254.3.4', '100.64.0.1', '::1', 'fd00::1', 'fe80::1', 'not-an-ip']) expect(unreportable(ip), ip).toBe(true);
    for (const ip of ['198.51.100.7', '8.8.8.8', '2001:db8::1', '172.32.0.1']) expect(unreportable(ip), ip).toBe(false);
  });

  it('a summary comment carries no log text; matches stay under 1,024 bytes', () => {
    const ticket = makeTicket('198.51.100.7', 'sshd', { matches: ['sshd[1]: Failed password for secretuser from 198.51.100.7', 'x'.repeat(2000)] });
    expect(reportComment(ticket, 'summary')).toBe('Portcullis: banned in jail sshd after 5 failures.');
    expect(reportComment(ticket, 'summary')).not.toContain('secretuser');
    expect(reportComment(ticket, 'matches')).toContain('secretuser');
    expect(Buffer.byteLength(reportComment(ticket, 'matches'))).toBeLessThanOrEqual(1024);
    expect(reportComment(ticket, 'none')).toBe('');
  });

  it('one report per address per interval, and at most the daily limit', () => {
    const budget = new ReportBudget(900_000, 3);
    const t0 = Date.UTC(2026, 0, 1, 12);
    expect(budget.allows('a', t0)).toBe(true);
    budget.spend('a', t0);
    expect(budget.allows('a', t0 + 899_999)).toBe(false);
    expect(budget.allows('a', t0 + 900_000)).toBe(true);
    budget.spend('b', t0);
    budget.spend('c', t0);
    expect(budget.allows('d', t0)).toBe(false);
    expect(budget.allows('d', Date.UTC(2026, 0, 2))).toBe(true);
  });

  it('refuses a config without a key, or with both key and keyFile', () => {
    expect(abuseipdbOptions.safeParse({}).success).toBe(false);
    expect(abuseipdbOptions.safeParse({ key: 'k', keyFile: '/k' }).success).toBe(false);
    expect(abuseipdbOptions.safeParse({ key: 'k', categories: [0] }).success).toBe(false);
  });
});

describe('abuseipdb action against a local HTTP server', () => {
  it('reports each new ban once, with the key, the categories and no log text', async () => {
    const server = await startReportServer();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'abuse-'));
      writeFileSync(join(dir, 'key'), 'secret-key-123\n', { mode: 0o600 });
      const action = create({ keyFile: 'key', url: server.url, categories: [18, 22] }, dir);
      await action.start!();
      const ticket = makeTicket('198.51.100.7', 'sshd', { matches: ['sshd[1]: Failed password for alice from 198.51.100.7 port 1 ssh2'] });
      await action.ban([ticket, makeTicket('10.0.0.1', 'sshd'), makeTicket('2001:db8::5', 'sshd'), { ...ticket, ip: '198.51.100.0/24' }]);
      // The same address again (a re-ban inside the interval), a restore and a manual ban: no report.
      await action.ban([ticket, makeTicket('198.51.100.8', 'sshd', { reason: 'restore' }), makeTicket('198.51.100.9', 'sshd', { reason: 'manual' })]);
      await action.unban([ticket]);
      expect(server.problems).toEqual([]);
      expect(server.reports.map((r) => r.fields.ip)).toEqual(['198.51.100.7', '2001:db8::5']);
      const [first] = server.reports;
      expect(first).toMatchObject({ key: 'secret-key-123', accept: 'application/json', contentType: 'application/x-www-form-urlencoded' });
      expect(first!.fields.categories).toBe('18,22');
      expect(first!.fields.comment).toBe('Portcullis: banned in jail sshd after 5 failures.');
      expect(JSON.stringify(server.reports)).not.toContain('alice');
      expect(new Date(first!.fields.timestamp!).getTime()).toBe(ticket.time);
    } finally {
      await server.close();
    }
  });

  it('a server error is reported and retried without sending the reports that went through', async () => {
    let fail = true;
    const server = await startReportServer((r) => ({ status: r.fields.ip === '198.51.100.2' && fail ? 503 : 200 }));
    try {
      const action = create({ key: 'k', url: server.url });
      const batch = [makeTicket('198.51.100.1', 'sshd'), makeTicket('198.51.100.2', 'sshd')];
      await expect(action.ban(batch)).rejects.toThrow(/AbuseIPDB answered 503/);
      fail = false;
      await action.ban(batch);
      expect(server.reports.map((r) => r.fields.ip)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.2']);
    } finally {
      await server.close();
    }
  });

  it('a 429 with Retry-After pauses reporting; the daily limit stops it', async () => {
    const server = await startReportServer((r) => (r.fields.ip === '198.51.100.1' ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200 }));
    try {
      const paused = create({ key: 'k', url: server.url });
      await paused.ban([makeTicket('198.51.100.1', 'sshd')]);
      await paused.ban([makeTicket('198.51.100.3', 'sshd')]);
      expect(server.reports.map((r) => r.fields.ip)).toEqual(['198.51.100.1']);
      const limited = create({ key: 'k', url: server.url, dailyLimit: 2 });
      await limited.ban([makeTicket('198.51.100.4', 'sshd'), makeTicket('198.51.100.5', 'sshd'), makeTicket('198.51.100.6', 'sshd')]);
      expect(server.reports.map((r) => r.fields.ip)).toEqual(['198.51.100.1', '198.51.100.4', '198.51.100.5']);
    } finally {
      await server.close();
    }
  });

  it('a wrong key is an error the engine shows and retries', async () => {
    const server = await startReportServer(() => ({ status: 401 }));
    try {
      await expect(create({ key: 'bad', url: server.url }).ban([makeTicket('198.51.100.1', 'sshd')])).rejects.toThrow(/AbuseIPDB answered 401/);
    } finally {
      await server.close();
    }
  });
});
