import { createServer as createNetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ActionInstance, type Logger, silentLogger } from '@portcullis/core';
import { checkActionContract, makeTicket } from '@portcullis/testkit';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const definition = plugin.actions[0]!;

interface Mailbox {
  readonly port: number;
  readonly mails: ParsedMail[];
  close(): Promise<void>;
}

const servers: Mailbox[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A real SMTP server on 127.0.0.1 that parses every message it accepts. */
async function mailbox(port = 0): Promise<Mailbox> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 50 * 1024 * 1024,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const box = {
    port: typeof address === 'object' && address ? address.port : port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  servers.push(box);
  return box;
}

/** A port where nothing listens (for "SMTP down"). */
async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A logger that keeps what was said, to wait on it. */
function recordingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  const logger = {
    errors,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (_obj: object | string, msg?: string) => void errors.push(msg ?? String(_obj)),
    child: () => logger,
  };
  return logger;
}

async function create(options: Record<string, unknown>, jail = 'sshd', logger: Logger = silentLogger): Promise<ActionInstance> {
  const result = await definition.options!['~standard'].validate({
    to: 'admin@example.org',
    from: 'portcullis@example.org',
    ...options,
  });
  if (result.issues) throw new Error(result.issues.map((i) => i.message).join('; '));
  return definition.create(result.value, {
    jail: { name: jail, ports: [], protocol: 'tcp', bantime: 600_000 },
    logger,
    configDir: '/',
    dryRun: false,
  });
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for mail');
    await sleep(20);
  }
}

describe('email action', () => {
  it('mails one plain-text ban report with every fact, attacker text neutralised', async () => {
    const box = await mailbox();
    const action = await create({ port: box.port, to: ['admin@example.org', 'ops@example.org'] });
    const matches = [
      ...Array.from(
        { length: 25 },
        (_, i) => `sshd[1]: Failed password for root from 192.0.2.7 port ${1000 + i} ssh2`,
      ),
      'sshd[1]: Invalid user \x1b[31mred\x1b[0m<script>alert(1)</script> from 192.0.2.7\r\nBcc: victim@example.org',
      'sshd[1]: Invalid user \u202egnp.exe\u202c from 192.0.2.7',
    ];
    await action.ban([
      makeTicket('192.0.2.7', 'sshd', {
        failures: 27,
        banCount: 3,
        bantime: 3_600_000,
        matches,
        users: ['root', 'x\x07'],
      }),
    ]);
    expect(box.mails).toHaveLength(1);
    const mail = box.mails[0]!;
    expect(mail.subject).toBe('[Portcullis] sshd: banned 192.0.2.7');
    expect(
      (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((t) => t!.value.map((v) => v.address)),
    ).toEqual(['admin@example.org', 'ops@example.org']);
    expect(mail.html).toBe(false);
    expect(mail.headers.get('bcc')).toBeUndefined();
    const text = mail.text!;
    expect(text).toMatch(/Address: +192\.0\.2\.7\n/);
    expect(text).toMatch(/Jail: +sshd\n/);
    expect(text).toMatch(/Failures: +27\n/);
    expect(text).toMatch(/Ban time: +1h \(until \d{4}-/);
    expect(text).toMatch(/Ban count: +3 \(repeat offender\)/);
    expect(text).toMatch(/Users: +root, x\n/);
    const quoted = text.split('\n').filter((l) => l.startsWith('  | '));
    expect(quoted).toHaveLength(20); // maxLinesPerBan, the newest ones
    expect(quoted.at(-2)).toBe(
      '  | sshd[1]: Invalid user [31mred[0m<script>alert(1)</script> from 192.0.2.7 Bcc: victim@example.org',
    );
    expect(quoted.at(-1)).toBe('  | sshd[1]: Invalid user gnp.exe from 192.0.2.7');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e]/);
    await action.stop!();
  });

  it('reverse DNS never holds a message longer than its timeout', async () => {
    const box = await mailbox();
    const action = await create({ port: box.port, reverseDns: true, reverseDnsTimeout: '300ms' });
    const started = Date.now();
    await action.ban([makeTicket('192.0.2.8', 'sshd'), makeTicket('2001:db8::8', 'sshd')]);
    // Without the timeout a lookup may wait for the resolver's own (5 s per try); the bound leaves slack.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(box.mails).toHaveLength(2);
    await action.stop!();
  });

  it('groups 2,000 bans arriving in bursts into one digest', async () => {
    const box = await mailbox();
    const action = await create({ port: box.port, digest: '400ms', unbanNotices: true });
    const tickets = Array.from({ length: 2000 }, (_, i) =>
      makeTicket(i % 2 ? `10.1.${i >> 8}.${i & 255}` : `2001:db8::${(i + 1).toString(16)}`, 'sshd'),
    );
    for (let i = 0; i < 2000; i += 250) await action.ban(tickets.slice(i, i + 250));
    await action.ban(tickets.slice(0, 10)); // engine retry of an accepted batch: no duplicates
    await action.unban(tickets.slice(0, 3));
    expect(box.mails).toHaveLength(0);
    await until(() => box.mails.length > 0);
    // Stopping flushes whatever is still queued: one mail then shows the digest held everything.
    await action.stop!();
    expect(box.mails).toHaveLength(1);
    const mail = box.mails[0]!;
    expect(mail.subject).toBe('[Portcullis] sshd: 2000 bans');
    const listed = mail.text!.split('\n').filter((l) => /^ {2}\S+ {2}5 {2}10m/.test(l));
    expect(listed).toHaveLength(2000);
    expect(new Set(listed.map((l) => l.trim().split(' ')[0])).size).toBe(2000);
    expect(mail.text).toContain(`Unbans:\n  ${tickets[0]!.ip}\n  ${tickets[1]!.ip}\n  ${tickets[2]!.ip}\n`);
    expect(mail.text).toContain('(log lines of 1950 more bans omitted)');
  });

  it('without digest, folds a burst over maxMessagesPerMinute into one summary and queues the rest', async () => {
    const box = await mailbox();
    const action = await create({ port: box.port, maxMessagesPerMinute: 5 });
    const tickets = Array.from({ length: 50 }, (_, i) => makeTicket(`198.51.100.${i + 1}`, 'sshd'));
    await action.ban(tickets);
    expect(box.mails.map((m) => m.subject)).toEqual([
      ...tickets.slice(0, 4).map((t) => `[Portcullis] sshd: banned ${t.ip}`),
      '[Portcullis] sshd: 46 bans',
    ]);
    expect(box.mails[4]!.text).toMatch(/over 5 messages per minute/);
    await action.ban([makeTicket('203.0.113.1', 'sshd')]); // budget spent: queued, not sent
    expect(box.mails).toHaveLength(5);
    await action.stop!(); // the queue goes out when the jail stops
    expect(box.mails).toHaveLength(6);
    expect(box.mails[5]!.text).toContain('203.0.113.1');
  });

  it('rejects while SMTP is down and succeeds once it is up, without duplicates', async () => {
    const port = await freePort();
    const action = await create({ port, timeout: '2s' });
    await expect(action.ban([makeTicket('192.0.2.50', 'sshd')])).rejects.toThrow(
      /cannot send "\[Portcullis\] sshd: banned 192\.0\.2\.50" via 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    const box = await mailbox(port);
    await action.ban([makeTicket('192.0.2.50', 'sshd')]);
    expect(box.mails.map((m) => m.subject)).toEqual(['[Portcullis] sshd: banned 192.0.2.50']);
    await action.stop!();
  });

  it('gives up on a server that accepts but never greets after `timeout`', async () => {
    const silent = createNetServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const action = await create({ port: (silent.address() as { port: number }).port, timeout: '500ms' });
      const started = Date.now();
      await expect(action.ban([makeTicket('192.0.2.55', 'sshd')])).rejects.toThrow(
        /cannot send .*via 127\.0\.0\.1:\d+: .*(Greeting never received|timeout)/i,
      );
      // The server never greets: ending at all shows the timeout worked; the bound is only generous.
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      silent.close();
    }
  });

  it('keeps a digest queued while SMTP is down and sends it when it comes back', async () => {
    const port = await freePort();
    const logger = recordingLogger();
    const action = await create({ port, digest: '100ms', timeout: '1s' }, 'sshd', logger);
    await action.ban([makeTicket('192.0.2.60', 'sshd'), makeTicket('2001:db8::60', 'sshd')]);
    // The first attempt fails (nothing listens); the queue is kept and retried with back-off.
    await until(() => logger.errors.some((e) => e.includes('digest kept, will retry')));
    const box = await mailbox(port);
    await until(() => box.mails.length > 0);
    expect(box.mails[0]!.text).toContain('192.0.2.60');
    expect(box.mails[0]!.text).toContain('2001:db8::60');
    await action.stop!();
    expect(box.mails).toHaveLength(1);
  });

  it('sends start and stop notices when asked to', async () => {
    const box = await mailbox();
    const action = await create({ port: box.port, notifyStart: true, notifyStop: true }, 'web');
    await action.start!();
    await action.stop!();
    expect(box.mails.map((m) => m.subject)).toEqual([
      '[Portcullis] web: jail started',
      '[Portcullis] web: jail stopped',
    ]);
    const quiet = await create({ port: box.port });
    await quiet.start!();
    await quiet.stop!();
    expect(box.mails).toHaveLength(2);
  });

  it('keeps the action contract', async () => {
    const box = await mailbox();
    const result = await checkActionContract(definition, {
      options: { port: box.port, to: 'a@example.org', unbanNotices: true },
    });
    expect(result.errors).toEqual([]);
    expect(box.mails.length).toBeGreaterThan(0);
  });

  it('refuses header-smuggling addresses at config load', async () => {
    const result = await definition.options!['~standard'].validate({
      to: 'a@example.org\r\nBcc: b@example.org',
    });
    expect(result.issues?.[0]?.message).toMatch(/mail address/);
  });
});
