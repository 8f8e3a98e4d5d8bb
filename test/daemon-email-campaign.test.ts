import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuild, waitFor } from './daemon-process.js';
import { type JailDaemon, jailFolder, useDaemonCleanup } from './jail-daemon.js';
import { type MailSink, startMailSink } from './mail-sink.js';

/**
 * The e-mail action through the daemon: a campaign is mailed once (a notice per campaign), the bans it
 * leads to are not mailed one by one, and an ordinary ban still is — to a real SMTP server on 127.0.0.1.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-email']);

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
  let jd: JailDaemon;
  let smtp: MailSink;
  const subjects = () => smtp.mails.map(subjectOf);

  beforeAll(async () => {
    if (unbuilt) throw new Error(unbuilt);
    smtp = await startMailSink();
    const { port } = smtp;
    const folder = jailFolder('email-campaign');
    jd = await folder.start({
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-email'],
      defaults: { maxretry: 3, findtime: '10m', bantime: '10m', ignoreip: ['127.0.0.1/8'] },
      jails: {
        sshd: {
          filter: 'sshd',
          logpath: folder.emptyFile('auth.log'),
          campaign: { failures: 3, sources: 3, findtime: '10m', duration: '1h', maxretry: 1 },
          actions: [{ id: 'email', options: { host: '127.0.0.1', port, starttls: false, to: 'admin@example.org', from: 'portcullis@example.org' } }, folder.dryRun()],
        },
      },
    });
  });

  afterAll(async () => {
    await smtp?.close();
  });
  // Registered last, so it runs first: the daemon stops before the server it mails to.
  useDaemonCleanup('all');

  it('mails one notice per campaign, none per campaign ban, and ordinary bans as before', async () => {
    let pid = 500;
    const failed = (ip: string, user: string) => `${new Date().toISOString()} host sshd[${++pid}]: Failed password for ${user} from ${ip} port 4242 ssh2\n`;
    const events = () => jd.bans<{ event: string; ip?: string; reason?: string }>();
    const log = (text: string) => appendFileSync(jd.folder.path('auth.log'), text);
    const diag = () => `${jd.daemon.output}\n--- events ---\n${JSON.stringify(events())}\n--- mails ---\n${subjects().join('\n')}`;
    // Three sources on "oracle" start a campaign; four more hosts (four /24s) fail once each and are banned.
    log(failed('192.0.2.1', 'oracle') + failed('198.51.100.1', 'oracle') + failed('203.0.113.1', 'oracle'));
    await waitFor(() => events().some((e) => e.event === 'campaign'), 15_000, diag);
    log(failed('10.20.1.1', 'oracle') + failed('10.20.2.1', 'oracle') + failed('10.20.3.1', 'oracle') + failed('10.20.4.1', 'oracle'));
    await waitFor(() => events().filter((e) => e.event === 'ban' && e.reason === 'campaign').length === 4, 15_000, diag);
    // Then an ordinary ban (three failures on a name under no campaign): mailed after the campaign's bans.
    log(failed('10.30.0.9', 'bob') + failed('10.30.0.9', 'bob') + failed('10.30.0.9', 'bob'));
    await waitFor(() => subjects().some((s) => s.includes('banned 10.30.0.9')), 15_000, diag);
    expect(subjects()).toEqual(['[Portcullis] sshd: distributed attack on "oracle"', '[Portcullis] sshd: banned 10.30.0.9']);
    const notice = smtp.mails[0]!.replace(/=\r?\n/g, '');
    expect(notice).toContain('Failures:  3 from 3 distinct sources');
    expect(notice).toContain('Target:    oracle');
  });
});
