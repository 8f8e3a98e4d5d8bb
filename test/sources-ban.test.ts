import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess, cliPath, missingBuild, repoRoot, repoTempDir, waitFor } from './daemon-process.js';
import { PrivateJournald, privateJournaldUnavailable } from './private-journald.js';

/**
 * Every log source, through a real `portcullis start`, to a ban: file, stdin and the journal, each for the
 * sshd filter and for postfix (another package, with no `programs`, whose rules are anchored at the start
 * of the message). The journal is a real journald in a private namespace the test creates; sshd's lines
 * reach it through the syslog socket (`logger -t sshd`), postfix's as a stream (`systemd-cat`). Last, the
 * README's first command (no config file) on a host with journald and no /var/log/auth.log.
 */
const unbuilt = missingBuild(['plugins/filter-sshd', 'plugins/filter-postfix', 'plugins/action-nftables']);
const noJournald = privateJournaldUnavailable() ?? (existsSync('/usr/sbin/nft') ? undefined : '/usr/sbin/nft not found (apt-get install nftables)');
const skipJournal = noJournald !== undefined && process.env.CI !== 'true';
if (skipJournal) console.warn(`skipping the journal × ban tests: ${noJournald}`);

type Source = 'file' | 'stdin' | 'journal';
interface BanEvent {
  event: string;
  jail: string;
  ip: string;
  failures: number;
}

const MAXRETRY = 3;
/** The attacking address per source and jail. */
const attacker: Record<Source, { sshd: string; postfix: string }> = {
  file: { sshd: '192.0.2.11', postfix: '198.51.100.11' },
  stdin: { sshd: '192.0.2.12', postfix: '198.51.100.12' },
  journal: { sshd: '192.0.2.13', postfix: '198.51.100.13' },
};

const sshdMessage = (ip: string): string => `Failed password for root from ${ip} port 4242 ssh2`;
const postfixMessage = (ip: string): string =>
  `NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 <x@example.com>: Relay access denied; from=<a@example.net> to=<x@example.com> proto=ESMTP helo=<x>`;
/** As syslog writes it to a file: date, host, `program[pid]: ` and the message. */
const syslogLine = (program: string, message: string): string => `${new Date().toISOString()} gate ${program}[4711]: ${message}\n`;

let dir = '';
let daemon: DaemonProcess | undefined;
let journald: PrivateJournald | undefined;

afterEach(async () => {
  await daemon?.stop(); // SIGTERM: a clean stop also ends the daemon's journalctl
  daemon = undefined;
  await journald?.stop();
  journald = undefined;
  if (dir && process.env.KEEP_TMP !== '1') rmSync(dir, { recursive: true, force: true });
  dir = '';
});

function writeConfig(source: Source): string {
  const actions = [{ id: 'dry-run', options: { file: join(dir, 'bans.jsonl') } }];
  const jail = (filter: string, log: string, extra: Record<string, unknown> = {}) => ({
    filter,
    ...(source === 'file' ? { logpath: join(dir, log) } : { backend: source }),
    ...extra,
    actions,
  });
  const config = {
    plugins: ['@portcullis/filter-sshd', '@portcullis/filter-postfix'],
    database: join(dir, 'state.db'),
    socket: join(dir, 'p.sock'),
    defaults: { maxretry: MAXRETRY, findtime: '10m', bantime: '1h', ignoreip: [] },
    jails: {
      // sshd reads the filter's own journalmatch, as a user's `backend: journal` does.
      sshd: jail('sshd', 'auth.log'),
      postfix: jail('postfix', 'mail.log', source === 'journal' ? { journalmatch: ['SYSLOG_IDENTIFIER=postfix/smtpd'] } : {}),
    },
  };
  const file = join(dir, 'portcullis.config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function events(): BanEvent[] {
  const f = join(dir, 'bans.jsonl');
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as BanEvent) : [];
}

/** Wait for both jails' bans of the source's attackers, then check they are the only events, with their counts. */
async function expectBans(source: Source): Promise<void> {
  const want = attacker[source];
  const banned = (jail: 'sshd' | 'postfix') => events().some((e) => e.event === 'ban' && e.jail === jail && e.ip === want[jail]);
  await waitFor(() => banned('sshd') && banned('postfix'), 30_000, () => `ban events for ${want.sshd} (sshd) and ${want.postfix} (postfix) from ${source}\n--- events ---\n${JSON.stringify(events())}\n--- daemon ---\n${daemon?.output}`);
  const bans = events()
    .filter((e) => e.event === 'ban')
    .map(({ jail, ip, failures }) => ({ jail, ip, failures }))
    .sort((a, b) => a.jail.localeCompare(b.jail));
  expect(bans).toEqual([
    { jail: 'postfix', ip: want.postfix, failures: MAXRETRY },
    { jail: 'sshd', ip: want.sshd, failures: MAXRETRY },
  ]);
}

describe('every source bans through the daemon, for sshd and postfix', () => {
  it('file: lines appended to auth.log and mail.log', async () => {
    if (unbuilt) throw new Error(unbuilt);
    dir = repoTempDir('sources-file');
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(join(dir, 'mail.log'), '');
    daemon = new DaemonProcess(writeConfig('file'));
    await daemon.start();
    for (let i = 0; i < MAXRETRY; i++) {
      appendFileSync(join(dir, 'auth.log'), syslogLine('sshd', sshdMessage(attacker.file.sshd)));
      appendFileSync(join(dir, 'mail.log'), syslogLine('postfix/smtpd', postfixMessage(attacker.file.postfix)));
    }
    await expectBans('file');
  }, 60_000);

  it('stdin: both jails read the daemon\'s stdin', async () => {
    if (unbuilt) throw new Error(unbuilt);
    dir = repoTempDir('sources-stdin');
    daemon = new DaemonProcess(writeConfig('stdin'), [], { stdin: true });
    await daemon.start();
    let lines = '';
    for (let i = 0; i < MAXRETRY; i++) lines += syslogLine('sshd', sshdMessage(attacker.stdin.sshd)) + syslogLine('postfix/smtpd', postfixMessage(attacker.stdin.postfix));
    daemon.stdin?.write(lines);
    await expectBans('stdin');
  }, 60_000);

  it.skipIf(skipJournal)('journal: records from logger -t sshd and systemd-cat -t postfix/smtpd in a real journald', async () => {
    if (unbuilt) throw new Error(unbuilt);
    if (noJournald) throw new Error(noJournald);
    dir = repoTempDir('sources-journal');
    journald = await PrivateJournald.start();
    const j = journald;
    daemon = new DaemonProcess(writeConfig('journal'), [], { wrap: j.enter() });
    await daemon.start();
    const d = daemon;
    const send = {
      sshd: (ip: string) => j.syslog('sshd', sshdMessage(ip)),
      postfix: (ip: string) => j.stream('postfix/smtpd', postfixMessage(ip)),
    };
    for (const jail of ['postfix', 'sshd'] as const) {
      await following(jail, (k) => send[jail](`203.0.113.${k}`), async () => (await d.json<{ totalFailed: number }>(['status', jail])).totalFailed);
      for (let i = 0; i < MAXRETRY; i++) await send[jail](attacker.journal[jail]);
    }
    await expectBans('journal');
  }, 90_000);
});

/**
 * journalctl starts at the end of the journal once it has opened it, which is some time after the daemon
 * says it started: send one failure from a new probe address at a time until the jail has counted one, so
 * the lines that follow are all read. Probe addresses fail once each, far from maxretry.
 */
async function following(jail: string, probe: (k: number) => Promise<void>, failed: () => Promise<number>): Promise<void> {
  for (let k = 1; k <= 15; k++) {
    await probe(k);
    try {
      await waitFor(async () => (await failed()) > 0, 30_000, () => `a failure counted in ${jail}`);
      return;
    } catch {
      // not following yet, or lines never reach the jail: probe again, up to the bound
    }
  }
  throw new Error(`the ${jail} jail counted none of 15 failures sent to the journal\n--- daemon ---\n${daemon?.output}`);
}

describe.skipIf(skipJournal)("README's first command on a host with journald and no /var/log/auth.log", () => {
  it('pnpm portcullis start (no config file) bans from the journal: lines from logger -t sshd', async () => {
    if (unbuilt) throw new Error(unbuilt);
    if (noJournald) throw new Error(noJournald);
    journald = await PrivateJournald.start();
    const j = journald;
    expect(existsSync(j.path('/var/log/auth.log'))).toBe(false);
    // `pnpm portcullis start` is `node apps/portcullis/dist/cli.js start` in the repository: no --config. As
    // root with nft the embedded defaults ban with nftables, here in the namespace's own network stack.
    daemon = new DaemonProcess(undefined, [], { wrap: j.enter(repoRoot) });
    await daemon.start();
    const d = daemon;
    expect(d.output).toContain('running on the embedded defaults (jail sshd, actions: nftables)');
    expect(d.output).toMatch(/reading[^\n]*journal:/);
    const client = async (args: string[]) => {
      const r = await j.run([process.execPath, cliPath, ...args], { cwd: repoRoot });
      if (r.code !== 0) throw new Error(`portcullis ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}\n--- daemon ---\n${d.output}`);
      return r.stdout;
    };
    const status = async () => JSON.parse(await client(['status', 'sshd', '--json'])) as { totalFailed: number; banned: { ip: string; failures: number }[] };
    await following('sshd', (k) => j.syslog('sshd', sshdMessage(`203.0.113.${k}`)), async () => (await status()).totalFailed);
    const ip = '192.0.2.77';
    for (let i = 0; i < 5; i++) await j.syslog('sshd', sshdMessage(ip)); // the embedded maxretry
    await waitFor(async () => (await j.run(['nft', 'list', 'ruleset'])).stdout.includes(ip), 30_000, () => `${ip} in the namespace's nftables set\n--- daemon ---\n${d.output}`);
    expect((await status()).banned.map((b) => ({ ip: b.ip, failures: b.failures }))).toEqual([{ ip, failures: 5 }]);
  }, 90_000);
});
