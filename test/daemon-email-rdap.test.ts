import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingBuild, waitFor } from './daemon-process.js';
import { type JailDaemon, jailFolder, useDaemonCleanup } from './jail-daemon.js';
import { type MailSink, startMailSink } from './mail-sink.js';

/**
 * The e-mail action's `whois: rdap` through the daemon: a config file, failures in a log, and the ban mail at a
 * local SMTP server carrying what a local HTTPS RDAP server (its certificate trusted through `rdapCa`) says of
 * the network.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-email']);

describe('daemon + email action with RDAP', () => {
  let jd: JailDaemon;
  let smtp: MailSink;
  let rdap: ReturnType<typeof createServer>;
  const requests: string[] = [];

  beforeAll(async () => {
    if (unbuilt) throw new Error(unbuilt);
    const folder = jailFolder('email-rdap');
    const dir = folder.dir;
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    let base = '';
    rdap = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '';
      requests.push(path);
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/rdap+json' }).end(JSON.stringify(body));
      if (path === '/bootstrap/ipv4.json') return json(200, { version: '1.0', services: [[['198.51.100.0/24'], [`${base}/rir/`]]] });
      if (path.startsWith('/rir/ip/198.51.100.')) {
        return json(200, {
          objectClassName: 'ip network',
          startAddress: '198.51.100.0',
          endAddress: '198.51.100.255',
          cidr0_cidrs: [{ v4prefix: '198.51.100.0', length: 24 }],
          name: 'EXAMPLE-NET',
          country: 'nl',
          entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 'abuse@example.net']]] }],
        });
      }
      json(404, { errorCode: 404 });
    });
    await new Promise<void>((resolve) => rdap.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(rdap.address() as { port: number }).port}`;
    smtp = await startMailSink();
    const { port } = smtp;
    const email = { host: '127.0.0.1', port, starttls: false, to: 'admin@example.org', from: 'portcullis@example.org', whois: 'rdap', rdapBootstrapUrl: `${base}/bootstrap/`, rdapCa: 'cert.pem' };
    jd = await folder.start({
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-email'],
      defaults: { maxretry: 2, findtime: '10m', bantime: '10m' },
      jails: { sshd: { filter: 'sshd', logpath: folder.emptyFile('auth.log'), actions: [{ id: 'email', options: email }] } },
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => rdap?.close(resolve));
    await smtp?.close();
  });
  // Registered last, so it runs first: the daemon stops before the servers it talks to.
  useDaemonCleanup('all');

  it('mails the ban with the network, its country and its abuse contact from the registry', async () => {
    const line = () => `${new Date().toISOString()} host sshd[400]: Failed password for root from 198.51.100.7 port 4242 ssh2\n`;
    appendFileSync(jd.folder.path('auth.log'), line() + line());
    await waitFor(() => smtp.mails.length > 0, 30_000, () => `the ban mail\n${jd.daemon.output}`);
    const text = smtp.mails[0]!.replace(/=\r?\n/g, '');
    expect(text).toContain('198.51.100.7');
    expect(text).toMatch(/Network: +198\.51\.100\.0\/24 EXAMPLE-NET \(NL\)/);
    expect(text).toMatch(/Abuse: +abuse@example\.net/);
    expect(requests).toEqual(['/bootstrap/ipv4.json', '/rir/ip/198.51.100.7']);
  });
});
