import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@portcullis/core';
import { makeTicket } from '@portcullis/testkit';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from '../src/index.js';
import { parseBootstrap } from '../src/rdap-bootstrap.js';
import { parseNetwork } from '../src/rdap-network.js';

const definition = plugin.actions[0]!;

/** An RDAP network object as RIPE's server writes one, with the abuse contact nested two entities deep. */
const network = (name: string) => ({
  objectClassName: 'ip network',
  handle: '198.51.100.0 - 198.51.100.255',
  startAddress: '198.51.100.0',
  endAddress: '198.51.100.255',
  cidr0_cidrs: [{ v4prefix: '198.51.100.0', length: 24 }],
  name,
  country: 'nl',
  entities: [
    { roles: ['registrant'], vcardArray: ['vcard', [['fn', {}, 'text', 'Example BV']]], entities: [
      { roles: ['abuse'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['email', {}, 'text', 'abuse@example.net']]] },
    ] },
  ],
});

describe('RDAP answers', () => {
  it('takes name, country, CIDR and the nested abuse e-mail; registrant text is cleaned like log text', () => {
    const info = parseNetwork(network('EXAMPLE-NET\u001b[31m\r\nBcc: x@example.org'))!;
    expect(info).toMatchObject({ network: '198.51.100.0/24', name: 'EXAMPLE-NET[31m Bcc: x@example.org', country: 'NL', abuse: 'abuse@example.net' });
    expect(parseNetwork({ name: 'no range' })).toBeUndefined();
  });

  it('finds the registry by the longest matching prefix of the bootstrap file', () => {
    const b = parseBootstrap({ services: [[['198.0.0.0/8'], ['http://a.example/', 'https://a.example/rdap']], [['198.51.100.0/24'], ['https://b.example/']], [['bogus', 7], ['ftp://x/']]] });
    expect(b.baseFor('198.51.100.9')).toBe('https://b.example/');
    expect(b.baseFor('198.1.2.3')).toBe('https://a.example/rdap/');
    expect(b.baseFor('192.0.2.1')).toBeUndefined();
  });
});

describe('email action with whois: rdap (local HTTPS RDAP server, local SMTP)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcl-rdap-'));
  const mails: ParsedMail[] = [];
  const requests: string[] = [];
  const hanging: ServerResponse[] = [];
  let smtp: SMTPServer;
  let smtpPort = 0;
  let rdap: ReturnType<typeof createServer>;
  let base = '';

  beforeAll(async () => {
    // A certificate for 127.0.0.1 that only this test trusts (the action's rdapCa option).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    rdap = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? '';
      requests.push(path);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/rdap+json' });
        res.end(JSON.stringify(body));
      };
      if (path === '/bootstrap/ipv4.json') return json(200, { version: '1.0', services: [[['198.51.100.0/24', '203.0.113.0/24'], [`${base}/rir/`]]] });
      if (path === '/bootstrap/ipv6.json') return json(200, { version: '1.0', services: [] });
      // A registry that moved: RIRs redirect to the one holding the address.
      if (path.startsWith('/rir/ip/198.51.100.')) return res.writeHead(302, { location: `/ripe/ip/${path.slice(8)}` }).end();
      if (path.startsWith('/ripe/ip/198.51.100.')) return json(200, network('EXAMPLE-NET'));
      if (path.startsWith('/rir/ip/203.0.113.')) return void hanging.push(res); // never answers
      json(404, { errorCode: 404 });
    });
    await new Promise<void>((resolve) => rdap.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(rdap.address() as { port: number }).port}`;
    writeFileSync(join(dir, 'portcullis.config.json'), '{}');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream).then((mail) => {
          mails.push(mail);
          callback();
        }, callback);
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await new Promise((resolve) => rdap?.close(resolve));
    await new Promise((resolve) => smtp?.close(() => resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  });

  const create = async (options: Record<string, unknown>) => {
    const result = await definition.options!['~standard'].validate({ port: smtpPort, to: 'admin@example.org', from: 'portcullis@example.org', whois: 'rdap', rdapBootstrapUrl: `${base}/bootstrap/`, rdapCa: 'cert.pem', ...options });
    if (result.issues) throw new Error(result.issues.map((i) => i.message).join('; '));
    return definition.create(result.value, { jail: { name: 'sshd', ports: [], protocol: 'tcp', bantime: 600_000 }, logger: silentLogger, configDir: dir, dryRun: false });
  };

  it('adds network, country and abuse contact to the mail; a second address of that network comes from the cache', async () => {
    const action = await create({});
    await action.ban([makeTicket('198.51.100.7', 'sshd')]);
    await action.ban([makeTicket('198.51.100.8', 'sshd')]);
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      expect(mail.text).toMatch(/\nNetwork: +198\.51\.100\.0\/24 EXAMPLE-NET \(NL\)\n/);
      expect(mail.text).toMatch(/\nAbuse: +abuse@example\.net\n/);
    }
    expect(requests.filter((r) => r.startsWith('/bootstrap/'))).toEqual(['/bootstrap/ipv4.json']);
    expect(requests.filter((r) => r.includes('/ip/'))).toEqual(['/rir/ip/198.51.100.7', '/ripe/ip/198.51.100.7']);
    await action.stop!();
  });

  it('a registry that never answers costs the mail at most the timeout, and the mail goes out without the section', async () => {
    mails.length = 0;
    const action = await create({ rdapTimeout: '1s' });
    await action.ban([makeTicket('203.0.113.9', 'sshd')]);
    expect(mails).toHaveLength(1);
    expect(hanging).toHaveLength(1); // the request is still open: the timeout, not an answer, released the mail
    expect(mails[0]!.text).toMatch(/Address: +203\.0\.113\.9\n/);
    expect(mails[0]!.text).not.toContain('Network:');
    await action.stop!();
  });

  it('a digest lists the network of each ban; an untrusted certificate is a failed lookup, not a failed mail', async () => {
    mails.length = 0;
    const digest = await create({ digest: '1s' });
    await digest.ban([makeTicket('198.51.100.20', 'sshd'), makeTicket('192.0.2.1', 'sshd')]);
    await digest.stop!();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toMatch(/Networks \(RDAP\):\n {2}198\.51\.100\.20\n {4}Network: +198\.51\.100\.0\/24 EXAMPLE-NET \(NL\)\n {4}Abuse: +abuse@example\.net\n\n/);
    const untrusted = await create({ rdapCa: undefined, rdapUrl: `${base}/ripe/` });
    await untrusted.ban([makeTicket('198.51.100.30', 'sshd')]);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text).not.toContain('Network:');
    expect(requests).not.toContain('/ripe/ip/198.51.100.30');
    await untrusted.stop!();
  });
});
