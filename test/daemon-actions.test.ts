import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, missingBuild, repoTempDir, waitFor } from './daemon-process.js';
import { type NetnsPair, createNetnsPair, eventually, netnsUnavailable } from './netns.js';

/**
 * Every action package through the daemon: one config file, one `portcullis start`, one jail per action,
 * failures appended to each jail's log, and the effect checked where the action puts it — the kernel of a
 * network namespace (iptables, iptables with ipset), a hosts.deny file, a program's output, a mail accepted
 * by a real SMTP server that offers STARTTLS with a self-signed certificate and requires AUTH.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/action-iptables', 'plugins/action-hostsdeny', 'plugins/action-command', 'plugins/action-email']);
const why = netnsUnavailable(['/usr/sbin/iptables', '/usr/sbin/ip6tables', '/usr/sbin/ipset', '/usr/sbin/iptables-restore', '/usr/bin/openssl']);
const skip = why !== undefined && process.env.CI !== 'true';
if (skip) console.warn(`skipping the actions-through-the-daemon tests: ${why}`);

const USER = 'portcullis';
const PASS = 'correct horse';

interface Mail {
  readonly secure: boolean;
  readonly user: string | undefined;
  readonly text: string;
}

describe.skipIf(skip)('every action through the daemon', () => {
  let ns: NetnsPair;
  let dir: string;
  let daemon: DaemonProcess;
  let smtp: SMTPServer;
  const mails: Mail[] = [];
  const refusedLogins: string[] = [];

  const fail = (jail: string, ip: string, times = 3) => {
    let lines = '';
    for (let i = 0; i < times; i++) lines += `${new Date().toISOString()} host sshd[${300 + i}]: Failed password for root from ${ip} port 4242 ssh2\n`;
    appendFileSync(join(dir, `${jail}.log`), lines);
  };
  const banned = async (jail: string) => (await daemon.json<{ banned: { ip: string }[] }>(['status', jail])).banned.map((b) => b.ip).sort();

  beforeAll(async () => {
    if (why) throw new Error(why);
    if (unbuilt) throw new Error(unbuilt);
    ns = createNetnsPair('dac');
    dir = repoTempDir('actions');

    // A self-signed certificate: the relay a user trusts by turning tlsRejectUnauthorized off.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    // TLS options are passed through to tls.createSecureContext (the typings leave them out).
    const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    smtp = new SMTPServer({
      ...tls,
      authMethods: ['PLAIN', 'LOGIN'],
      // The defaults, spelled out: AUTH is required, and only offered once STARTTLS made the session secure.
      authOptional: false,
      allowInsecureAuth: false,
      logger: false,
      onAuth(auth, _session, callback) {
        if (auth.username === USER && auth.password === PASS) return callback(null, { user: USER });
        refusedLogins.push(auth.username ?? '');
        return callback(new Error('invalid credentials'));
      },
      onData(stream, session, callback) {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (d: string) => (text += d));
        stream.on('end', () => {
          mails.push({ secure: session.secure, user: typeof session.user === 'string' ? session.user : undefined, text });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(0, '127.0.0.1', () => resolve());
    });
    const smtpPort = (smtp.server.address() as { port: number }).port;

    const script = join(dir, 'record.mjs');
    writeFileSync(script, `import { appendFileSync } from 'node:fs';\nappendFileSync(process.argv[2], process.argv.slice(3).join(' ') + '\\n');\n`);
    const record = (op: string) => [process.execPath, script, join(dir, 'command.out'), op, '{ip}', '{jail}', '{failures}'];
    const port = [String(ns.port)];
    const jails: Record<string, unknown> = {
      ipt: { actions: [{ id: 'iptables', options: { commandPrefix: ns.serverPrefix } }] },
      ips: { actions: [{ id: 'iptables', options: { ipset: true, commandPrefix: ns.serverPrefix } }] },
      deny: { actions: [{ id: 'hostsdeny', options: { file: join(dir, 'hosts.deny'), daemons: 'sshd' } }] },
      cmd: { actions: [{ id: 'command', options: { ban: record('ban'), unban: record('unban') } }] },
      mail: {
        actions: [{ id: 'email', options: { host: '127.0.0.1', port: smtpPort, requireTLS: true, tlsRejectUnauthorized: false, auth: { user: USER, pass: PASS }, from: 'portcullis@example.org', to: 'admin@example.org', timeout: '20s' } }],
      },
    };
    for (const [name, jail] of Object.entries(jails)) {
      writeFileSync(join(dir, `${name}.log`), '');
      Object.assign(jail as object, { filter: 'sshd', logpath: join(dir, `${name}.log`), port });
    }
    const config = {
      plugins: ['@portcullis/filter-sshd', '@portcullis/action-iptables', '@portcullis/action-hostsdeny', '@portcullis/action-command', '@portcullis/action-email'],
      database: join(dir, 'state.db'),
      socket: join(dir, 'p.sock'),
      defaults: { maxretry: 3, findtime: '10m', bantime: '1h', ipv6prefix: 128 },
      jails,
    };
    writeFileSync(join(dir, 'portcullis.config.json'), JSON.stringify(config, null, 2));
    daemon = new DaemonProcess(join(dir, 'portcullis.config.json'));
    await daemon.start();
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop('SIGKILL');
    ns?.destroy();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
    if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  });

  for (const jail of ['ipt', 'ips'] as const) {
    it(`${jail === 'ipt' ? 'iptables' : 'iptables with ipset'}: blocks the IPv4 and IPv6 attackers in the kernel, and unban lets them back`, async () => {
      expect(ns.canConnect(4)).toBe(true);
      expect(ns.canConnect(6)).toBe(true);
      fail(jail, ns.attacker4);
      fail(jail, ns.attacker6);
      await waitFor(async () => (await banned(jail)).length === 2, 30_000, () => `two bans in ${jail}\n${daemon.output}`);
      expect(await banned(jail)).toEqual([ns.attacker4, ns.attacker6].sort());
      expect(await eventually(() => !ns.canConnect(4) && !ns.canConnect(6), 20_000)).toBe(true);
      if (jail === 'ips') {
        expect(ns.inServer(['ipset', 'list', '-n']).split('\n').filter((s) => s.startsWith('portcullis-ips'))).toHaveLength(2);
        expect(ns.inServer(['ipset', 'list'])).toContain(ns.attacker4);
      } else {
        expect(ns.inServer(['iptables', '-S'])).toContain(`${ns.attacker4}/32`);
        expect(ns.inServer(['ip6tables', '-S'])).toContain(`${ns.attacker6}/128`);
      }
      expect((await daemon.client(['unban', ns.attacker4, ns.attacker6])).code).toBe(0);
      expect(await eventually(() => ns.canConnect(4) && ns.canConnect(6), 20_000)).toBe(true);
      expect(await banned(jail)).toEqual([]);
    }, 120_000);
  }

  it('hostsdeny: writes the banned addresses for the configured daemons, and removes them on unban', async () => {
    const file = join(dir, 'hosts.deny');
    fail('deny', '192.0.2.41');
    fail('deny', '2001:db8::41');
    await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes('2001:db8::41'), 30_000, () => `hosts.deny entries\n${daemon.output}`);
    const denied = (text: string) => text.split('\n').filter((l) => l.startsWith('sshd:'));
    expect(denied(readFileSync(file, 'utf8')).sort()).toEqual(['sshd: 192.0.2.41', 'sshd: [2001:db8::41]'].sort());
    expect((await daemon.client(['unban', '192.0.2.41'])).code).toBe(0);
    await waitFor(() => !readFileSync(file, 'utf8').includes('192.0.2.41'), 30_000, () => 'the hosts.deny entry to go');
    expect(denied(readFileSync(file, 'utf8'))).toEqual(['sshd: [2001:db8::41]']);
  }, 120_000);

  it('command: runs the ban and unban programs with the ticket in argv', async () => {
    const out = join(dir, 'command.out');
    fail('cmd', '198.51.100.42');
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('ban'), 30_000, () => `the ban program\n${daemon.output}`);
    expect((await daemon.client(['unban', '198.51.100.42'])).code).toBe(0);
    await waitFor(() => readFileSync(out, 'utf8').includes('unban'), 30_000, () => 'the unban program');
    expect(readFileSync(out, 'utf8')).toBe('ban 198.51.100.42 cmd 3\nunban 198.51.100.42 cmd 3\n');
  }, 120_000);

  it('email: sends the ban report over STARTTLS, logged in with AUTH', async () => {
    fail('mail', '203.0.113.43');
    await waitFor(() => mails.length > 0, 60_000, () => `a mail\n${daemon.output}`);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe(USER);
    expect(refusedLogins).toEqual([]);
    expect(mail!.text).toMatch(/^Subject: \[Portcullis\] mail: banned 203\.0\.113\.43\r?$/m);
    expect(mail!.text).toMatch(/Address: +203\.0\.113\.43/);
    expect(mail!.text).toMatch(/Failures: +3/);
    const status = await daemon.json<{ actions: { id: string; state: string }[] }>(['status', 'mail']);
    expect(status.actions).toEqual([expect.objectContaining({ id: 'email', state: 'ok' })]);
  }, 120_000);
});
