// How parseConfig composes each jail from the built-in defaults, the config's `defaults` and the jail's own
// settings, and the composition problems check-config reports with their paths (actions, log paths, the
// socket path's length, filters written in the config).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseConfig, statePaths } from '../src/compose/load-config.js';
import type { PortcullisError } from '../src/util/errors.js';
import { problems as problemsIn } from './config-problems.js';

const plugin = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');
const dir = mkdtempSync(join(tmpdir(), 'pcl-compose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The problem lines for a config in the test's folder. */
const problems = (raw: unknown, where = dir) => problemsIn(raw, where);

describe('a jail composed from the defaults', () => {
  it('takes the built-in defaults for everything it does not set', async () => {
    const loaded = await parseConfig({ plugins: [plugin], jails: { a: { filter: 'demo' } } }, { dir });
    expect(loaded.embedded).toBe(false);
    expect(loaded.file).toBeUndefined();
    expect(loaded.dir).toBe(dir);
    const { filter, ...jail } = loaded.jails[0]!;
    expect(filter.id).toBe('demo');
    expect(jail).toEqual({
      name: 'a',
      enabled: true,
      filterOptions: {},
      logpath: [],
      backend: 'auto',
      journalmatch: [],
      actions: [],
      bantime: 600_000,
      findtime: 600_000,
      maxretry: 5,
      ignoreip: ['127.0.0.1/8', '::1'],
      ignoreself: true,
      usedns: 'warn',
      ports: [],
      protocol: 'tcp',
      logstart: 'end',
      datepattern: undefined,
      increment: undefined,
      ipv6prefix: 64,
      subnet: undefined,
      campaign: undefined,
    });
  });

  it('the config defaults override the built-in ones, the jail overrides both', async () => {
    const loaded = await parseConfig(
      {
        plugins: [plugin],
        defaults: { bantime: -1, findtime: '1h', maxretry: 3, ignoreself: false, usedns: 'no', protocol: 'udp', logstart: 'start', ipv6prefix: 56, datepattern: 'EPOCH', port: 22, backend: 'file' },
        jails: {
          a: {
            filter: { id: 'demo', options: { mode: 'aggressive' } },
            enabled: false,
            logpath: ['x.log', '/var/log/y.log'],
            journalmatch: ['_COMM=x'],
            bantime: '2h',
            port: ['ssh, 8000:8100', 443],
            protocol: 'all',
            increment: { factor: 3, maxtime: '2d', overalljails: true },
            subnet: { ipv4: 16, ipv6: 56, maxretry: 7 },
            campaign: { failures: 9, sources: 4, findtime: '5m', duration: '2h', maxretry: 2 },
            actions: ['dry-run'],
          },
          b: { filter: 'demo', logpath: 'b.log', increment: { enabled: false }, subnet: { findtime: '30m' }, datepattern: '%Y-%m-%d %H:%M:%S' },
        },
      },
      { dir },
    );
    const [a, b] = loaded.jails;
    expect(a).toMatchObject({
      enabled: false,
      filterOptions: { mode: 'aggressive' },
      logpath: [join(dir, 'x.log'), '/var/log/y.log'],
      backend: 'file',
      journalmatch: ['_COMM=x'],
      bantime: 7_200_000,
      findtime: 3_600_000,
      maxretry: 3,
      ignoreself: false,
      usedns: 'no',
      ports: ['ssh', '8000:8100', '443'],
      protocol: 'all',
      logstart: 'start',
      datepattern: 'EPOCH',
      increment: { factor: 3, maxtime: 172_800_000, overalljails: true },
      ipv6prefix: 56,
      subnet: { ipv4: 16, ipv6: 56, maxretry: 7, findtime: 3_600_000 },
      campaign: { failures: 9, sources: 4, findtime: 300_000, duration: 7_200_000, maxretry: 2 },
    });
    expect(a!.actions.map((x) => [x.id, x.plugin])).toEqual([['dry-run', '@portcullis/core']]);
    expect(b).toMatchObject({ logpath: [join(dir, 'b.log')], bantime: -1, ports: ['22'], increment: undefined, datepattern: '%Y-%m-%d %H:%M:%S', subnet: { ipv4: 24, ipv6: 48, maxretry: 20, findtime: 1_800_000 } });
  });

  it('the filter’s journal match and date pattern when the jail gives none', async () => {
    const own = join(dir, 'own-plugin.mjs');
    writeFileSync(own, `export default { name: 'own', apiVersion: '1.0.0', filters: [{ id: 'j', journalmatch: ['_SYSTEMD_UNIT=j.service'], datepattern: 'EPOCH', failregex: ['^x <HOST>$'] }, { id: 'bad', datepattern: '%Q', failregex: ['^x <HOST>$'] }], actions: [] };`);
    const loaded = await parseConfig({ plugins: [own], jails: { j: { filter: 'j' }, k: { filter: 'j', journalmatch: ['_COMM=k'], datepattern: '%s' } } }, { dir });
    expect(loaded.jails.map((j) => [j.journalmatch, j.datepattern])).toEqual([
      [['_SYSTEMD_UNIT=j.service'], 'EPOCH'],
      [['_COMM=k'], '%s'],
    ]);
    const found = await problems({ plugins: [own], jails: { bad: { filter: 'bad' }, fixed: { filter: 'bad', datepattern: 'EPOCH' } } });
    expect(found).toEqual([expect.stringMatching(/^jails\.bad\.filter: the datepattern of filter "bad" is invalid: .+/)]);
  });
});

describe('composition problems, with their paths', () => {
  it('actions: unknown ids where they are written, options checked by the action', async () => {
    expect(
      await problems({
        plugins: [plugin],
        defaults: { actions: ['dry-rn'] },
        jails: {
          a: { filter: 'demo' },
          b: { filter: 'demo', actions: ['dry-run', { id: 'dry-run', options: { fsync: 'yes' } }, 'iptables', '^(ban)$'] },
        },
      }),
    ).toEqual([
      'defaults.actions[0]: unknown action "dry-rn"; did you mean "dry-run"? known actions: dry-run',
      expect.stringMatching(/^jails\.b\.actions\[1\]\.options\.fsync: .+/),
      'jails.b.actions[2]: unknown action "iptables"; known actions: dry-run',
      'jails.b.actions[3]: unknown action "^(ban)$" (a action is named by its id; patterns belong in a plugin); known actions: dry-run',
    ]);
  });

  it('names the config file in the error, or the embedded defaults', async () => {
    const error = (await parseConfig({ jails: { a: { filter: 'x' } } }, { dir, file: join(dir, 'portcullis.yaml') }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.message).toBe(`invalid configuration (${join(dir, 'portcullis.yaml')}):\n  jails.a.filter: unknown filter "x"; no plugin providing filters is listed in "plugins"`);
    const embedded = (await parseConfig({ jails: { a: { filter: 'x' } } }, { dir }).catch((e: unknown) => e)) as PortcullisError;
    expect(embedded.message.split('\n')[0]).toBe('invalid configuration (embedded defaults):');
    const loaded = await parseConfig({ jails: {} }, { dir, file: join(dir, 'portcullis.yaml'), embedded: false });
    expect([loaded.file, loaded.embedded, loaded.fleet, loaded.registry.plugins.length]).toEqual([join(dir, 'portcullis.yaml'), false, undefined, 0]);
    expect((await parseConfig({ jails: {} }, { dir, embedded: true })).embedded).toBe(true);
  });

  it('a plugin that fails to load: its ids are not reported as unknown as well', async () => {
    const error = (await parseConfig(
      { plugins: [join(dir, 'missing-plugin.mjs'), plugin], defaults: { actions: ['teleport'] }, jails: { a: { filter: 'nosuch' }, b: { filter: 'demo', actions: ['beam'] } } },
      { dir },
    ).catch((e: unknown) => e)) as PortcullisError;
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^plugins\[0\]: /);
  });

  it('unknown filters: the known ones, or that no plugin provides any', async () => {
    expect(await problems({ jails: { a: { filter: 'sshd' } } })).toEqual(['jails.a.filter: unknown filter "sshd"; no plugin providing filters is listed in "plugins"']);
    for (const id of ['a b', 'x$', 'x*', 'a\\d', '<HOST>', '(x)', '[x]', 'a|b', '^x']) {
      expect(await problems({ plugins: [plugin], jails: { a: { filter: id } } }), id).toEqual([`jails.a.filter: unknown filter "${id}" (a filter is named by its id; patterns belong in a plugin); known filters: demo`]);
    }
  });

  it('log paths: a folder is not a log file, a glob or a missing file is fine, the file backend needs one', async () => {
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    expect(
      await problems({
        plugins: [plugin],
        jails: {
          one: { filter: 'demo', logpath: './logs' },
          two: { filter: 'demo', logpath: ['missing.log', `${logs}/`, 'logs/*.log'] },
          file: { filter: 'demo', backend: 'file' },
          ok: { filter: 'demo', backend: 'file', logpath: 'missing.log' },
          root: { filter: 'demo', logpath: '/' },
        },
      }),
    ).toEqual([
      `jails.one.logpath: ${logs} is a folder: give the log file, or a glob such as ${logs}/*.log`,
      `jails.two.logpath[1]: ${logs} is a folder: give the log file, or a glob such as ${logs}/*.log`,
      'jails.file.logpath: the file backend needs a logpath',
      'jails.root.logpath: / is a folder: give the log file, or a glob such as /*.log',
    ]);
  });

  it('a subnet of IPv6 prefixes holds at most the jail’s prefix length', async () => {
    expect(await problems({ plugins: [plugin], jails: { a: { filter: 'demo', ipv6prefix: 56, subnet: { ipv6: 64 } } } })).toEqual([
      'jails.a.subnet.ipv6: 64 is longer than ipv6prefix (56); a subnet holds prefixes, use at most 56',
    ]);
    const loaded = await parseConfig({ plugins: [plugin], jails: { a: { filter: 'demo', ipv6prefix: 56, subnet: { ipv6: 56 } } } }, { dir });
    expect(loaded.jails[0]!.subnet?.ipv6).toBe(56);
  });

  it('the control socket path fits a Unix socket address (107 bytes)', async () => {
    const at = (n: number) => `/${'s'.repeat(n - 1)}`;
    const ok = await parseConfig({ socket: at(107), jails: {} }, { dir });
    expect(ok.config.socket).toBe(at(107));
    expect(await problems({ socket: at(108), jails: {} })).toEqual([
      `socket: ${at(108)} is 108 bytes long; a Unix socket path holds at most 107: set a shorter "socket"`,
    ]);
  });

  it('the daemon log file: resolved from the config folder, its folder must exist', async () => {
    const loaded = await parseConfig({ logfile: 'daemon.log', database: ':memory:', jails: {} }, { dir });
    expect(loaded.config.logfile).toBe(join(dir, 'daemon.log'));
    expect(loaded.config.database).toBe(':memory:');
    expect(await problems({ logfile: 'nope/daemon.log', jails: {} })).toEqual([`logfile: the folder ${join(dir, 'nope')} does not exist`]);
  });

  it('filters written in the config: compile errors, and regexes that can backtrack unless unsafe', async () => {
    const found = await problems({
      filters: {
        broken: { failregex: ['^x (<HOST>$'] },
        slow: { failregex: ['^ok <HOST>$', { pattern: '^(a+)+$ <HOST>' }], ignoreregex: ['^(b|b)*$'] },
        accepted: { failregex: ['^(a+)+$ <HOST>'], unsafe: true },
      },
      jails: {},
    });
    expect(found).toEqual([
      expect.stringMatching(/^filters\.broken: .+/),
      expect.stringMatching(/^filters\.slow\.failregex\.1: \/.+\/ can backtrack catastrophically \(.+\); fix the regex, or set unsafe: true on the filter to accept it$/),
      expect.stringMatching(/^filters\.slow\.ignoreregex\.0: \/\^\(b\|b\)\*\$\/ can backtrack catastrophically/),
    ]);
  });
});

describe('where state lives', () => {
  it('the config’s database and socket, relative to its folder; system places as root, ./var/ otherwise', () => {
    expect(statePaths({ database: 'db.sqlite', socket: 'ctl.sock' }, '/etc/p')).toEqual({ database: '/etc/p/db.sqlite', socket: '/etc/p/ctl.sock' });
    expect(statePaths({ database: ':memory:' }, '/etc/p').database).toBe(':memory:');
    const uid = vi.spyOn(process, 'getuid');
    try {
      uid.mockReturnValue(0);
      expect(statePaths({}, '/etc/p')).toEqual({ database: '/var/lib/portcullis/portcullis.db', socket: '/run/portcullis/portcullis.sock' });
      uid.mockReturnValue(1000);
      expect(statePaths({}, '/home/u')).toEqual({ database: resolve('/home/u/var/portcullis.db'), socket: resolve('/home/u/var/portcullis.sock') });
    } finally {
      uid.mockRestore();
    }
  });
});
