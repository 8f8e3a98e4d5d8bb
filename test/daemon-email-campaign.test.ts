import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';

/**
 * The e-mail action through the daemon: a campaign is mailed once (a notice per campaign), the bans it
 * leads to are not mailed one by one, and an ordinary ban still is — to a real SMTP server on 127.0.0.1.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-email']);

interface Mail {
  readonly subject: string;
  readonly raw: string;
}

/** The Subject header, unfolded, its RFC 2047 Q-encoded words decoded. */
function subjectOf(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? '';
  return header
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, text: string) =>
      Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_h, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1').toString('utf8'),
    );
}

describe('daemon + email action + campaigns', () => {
  let dir: string;
  let daemon: DaemonProcess;
  let server: SMTPServer;
  const mails: Mail[] = [];

  beforeAll(async () => {
    if (unbuilt) throw new Error(unbuilt);
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (raw += chunk));
        stream.on('end', () => {
          mails.push({ subject: subjectOf(raw), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.server.address() as { port: number };
    dir = repoTempDir('email-campaign');
    writeFileSync(join(dir, 'auth.log'), '');
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-email'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ignoreip: ['127.0.0.1/8'] },
      jails: {
        sshd: {
          filter: 'sshd',
          logpath: join(dir, 'auth.log'),
          campaign: { failures: 3, sources: 3, findtime: '10m', duration: '1h', maxretry: 1 },
          actions: [
            { id: 'email', options: { host: '127.0.0.1', port, starttls: false, to: 'admin@example.org', from: 'portcullis@example.org' } },
            { id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } },
          ],
        },
      },
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  });

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  it('mails one notice per campaign, none per campaign ban, and ordinary bans as before', async () => {
    let pid = 500;
    const failed = (ip: string, user: string) => `${new Date().toISOString()} host sshd[${++pid}]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
    const events = () => {
      const f = join(dir, 'bans.jsonl');
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip?: string; reason?: string }) : [];
    };
    const log = (text: string) => appendFileSync(join(dir, 'auth.log'), text);
    const diag = () => `${daemon.output}\n--- events ---\n${JSON.stringify(events())}\n--- mails ---\n${mails.map((m) => m.subject).join('\n')}`;
    // Three sources on "oracle" start a campaign; four more hosts (four /24s) fail once each and are banned.
    log(failed('192.0.2.1', 'oracle') + failed('198.51.100.1', 'oracle') + failed('203.0.113.1', 'oracle'));
    await waitFor(() => events().some((e) => e.event === 'campaign'), 15_000, diag);
    log(failed('10.20.1.1', 'oracle') + failed('10.20.2.1', 'oracle') + failed('10.20.3.1', 'oracle') + failed('10.20.4.1', 'oracle'));
    await waitFor(() => events().filter((e) => e.event === 'ban' && e.reason === 'campaign').length === 4, 15_000, diag);
    // Then an ordinary ban (three failures on a name under no campaign): mailed after the campaign's bans.
    log(failed('10.30.0.9', 'bob') + failed('10.30.0.9', 'bob') + failed('10.30.0.9', 'bob'));
    await waitFor(() => mails.some((m) => m.subject.includes('banned 10.30.0.9')), 15_000, diag);
    expect(mails.map((m) => m.subject)).toEqual(['[Portcullis] sshd: distributed attack on "oracle"', '[Portcullis] sshd: banned 10.30.0.9']);
    const notice = mails[0]!.raw.replace(/=\r?\n/g, '');
    expect(notice).toContain('Failures:  3 from 3 distinct sources');
    expect(notice).toContain('Target:    oracle');
  });
});
