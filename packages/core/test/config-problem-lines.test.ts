
import { describe, expect, it } from 'vitest';
import { configSchema, formatIssues, validParts } from '../src/config/config-schema.js';
import { problems, testPlugin } from './config-problems.js';

const plugin = testPlugin;

/** The schema's lines for a config (no plugins loaded). */
function schemaLines(raw: unknown): string[] {
  const parsed = configSchema.safeParse(raw);
  return parsed.success ? [] : formatIssues(parsed.error.issues);
}

const tooSmall = 'Too small: expected string to have >=1 characters';

describe('every schema problem, one line with its path', () => {
  it('a mistake in every setting', async () => {
    const found = await problems({
      plugins: [plugin, ''],
      database: '',
      socket: '',
      dbpurgeage: '0.5s',
      loglevel: 'loud',
      logfile: '',
      maxtracked: 1.5,
      metrics: { listen: '127.0.0.1' },
      filters: {
        'bad id!': { failregex: ['x'] },
        f1: { failregex: [] },
        f2: { failregex: [''], ignoreregex: [''], prefix: '', programs: [''], datepattern: '', journalmatch: [''], correlate: 'tid', maxlines: 2, options: { m: { values: [], default: 'a' } }, unsafe: 'yes', extra: 1 },
        f3: { failregex: [{ pattern: '', kind: 'boom', forget: 1, literals: [''], when: { a: 'b' }, description: 3, other: 1 }] },
      },
      fleet: { name: 'a b', share: [], node: 'x y' },
      fail2ban: { dir: '' },
      defaults: {
        bantime: 'x',
        maxretry: 0,
        ignoreip: ['nope'],
        ignoreself: 'y',
        backend: 'tcp',
        usedns: 'maybe',
        port: ['sshh', 70000, 1.5, -1],
        protocol: 'icmp',
        datepattern: '',
        logstart: 'middle',
        increment: { enabled: 1, factor: 0, maxtime: -1, overalljails: 'no', x: 1 },
        actions: ['', { id: '' }, { id: 'a', x: 1 }],
        ipv6prefix: 47,
        subnet: { ipv4: 7, ipv6: 129, maxretry: -1, findtime: 'forever', y: 1 },
        campaign: { failures: 0, sources: 0.5, findtime: 0, duration: '-1', maxretry: 'a', z: 1 },
      },
      jails: {
        'bad name!': { filter: 'x' },
        j: { enabled: 'no', filter: '', logpath: [''], journalmatch: [''], ipv6prefix: 129 },
        k: { filter: { id: '', options: { a: [1] }, failregex: [''], ignoreregex: [''], unsafe: 1, q: 1 }, logpath: '' },
        ok: { filter: 'demo', port: 22.5, maxretry: 2.5, bantime: '1h', bogus: true },
      },
      extra: 1,
    });
    expect(found).toEqual([
      `plugins[1]: ${tooSmall}`,
      `database: ${tooSmall}`,
      `socket: ${tooSmall}`,
      'dbpurgeage: "0.5s" is shorter than 1s: use a duration like 600, 10m, 1h, 1d',
      'loglevel: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"',
      `logfile: ${tooSmall}`,
      'maxtracked: expected a positive integer',
      'metrics.listen: expected host:port, e.g. 127.0.0.1:9191',
      'defaults.bantime: expected a duration like 600, 10m, 1h, 1d or -1 for forever, got "x"',
      'defaults.maxretry: expected a positive integer',
      'defaults.ignoreip[0]: "nope" is not an IP address or CIDR network (host names are not allowed)',
      'defaults.ignoreself: Invalid input: expected boolean, received string',
      'defaults.backend: Invalid option: expected one of "auto"|"file"|"journal"|"stdin"',
      'defaults.usedns: Invalid option: expected one of "yes"|"warn"|"no"',
      'defaults.port[0]: "sshh" is not a service name in /etc/services (nftables and iptables would refuse it): use the port number',
      'defaults.port[1]: a port is 0 to 65535',
      'defaults.port[2]: a port is a whole number',
      'defaults.port[3]: a port is 0 to 65535',
      'defaults.protocol: Invalid option: expected one of "tcp"|"udp"|"all"',
      'defaults.datepattern: "" has no date or time code (such as %Y-%m-%d %H:%M:%S)',
      'defaults.logstart: Invalid option: expected one of "end"|"start"',
      'defaults.increment.enabled: Invalid input: expected boolean, received number',
      'defaults.increment.factor: Too small: expected number to be >0',
      'defaults.increment.maxtime: -1 (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d',
      'defaults.increment.overalljails: Invalid input: expected boolean, received string',
      'defaults.increment: unknown key "x"',
      'defaults.actions[0]: expected an id',
      'defaults.actions[1].id: expected an id',
      'defaults.actions[2]: unknown key "x"',
      'defaults.ipv6prefix: expected a prefix length from 48 to 128',
      'defaults.subnet.ipv4: expected an IPv4 prefix length from 8 to 32',
      'defaults.subnet.ipv6: expected an IPv6 prefix length from 16 to 128',
      'defaults.subnet.maxretry: expected a positive integer',
      'defaults.subnet.findtime: "forever" (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d',
      'defaults.subnet: unknown key "y"',
      'defaults.campaign.failures: expected a positive integer',
      'defaults.campaign.sources: expected a positive integer',
      'defaults.campaign.findtime: 0 is shorter than 1s: use a duration like 600, 10m, 1h, 1d',
      'defaults.campaign.duration: "-1" (forever) is only for ban times: use a duration like 600, 10m, 1h, 1d',
      'defaults.campaign.maxretry: expected a positive integer',
      'defaults.campaign: unknown key "z"',
      'filters.bad id!: filter ids use letters, digits, _ . - (at most 64)',
      'filters.f1.failregex: a filter needs at least one failregex',
      'filters.f2.failregex[0]: expected a regex',
      'filters.f2.ignoreregex[0]: expected a regex',
      `filters.f2.prefix: ${tooSmall}`,
      `filters.f2.programs[0]: ${tooSmall}`,
      `filters.f2.datepattern: ${tooSmall}`,
      `filters.f2.journalmatch[0]: ${tooSmall}`,
      'filters.f2.correlate: Invalid input: expected "pid"',
      'filters.f2.maxlines: only single-line filters are supported (maxlines: 1); correlate lines by pid instead',
      'filters.f2.options.m.values: Too small: expected array to have >=1 items',
      'filters.f2.unsafe: Invalid input: expected boolean, received string',
      'filters.f2: unknown key "extra"',
      'filters.f3.failregex[0].pattern: expected a regex',
      'filters.f3.failregex[0].kind: Invalid option: expected one of "fail"|"note"|"pending"|"fallback"|"success"',
      'filters.f3.failregex[0].forget: Invalid input: expected boolean, received number',
      `filters.f3.failregex[0].literals[0]: ${tooSmall}`,
      'filters.f3.failregex[0].when.a: Invalid input: expected array, received string',
      'filters.f3.failregex[0].description: Invalid input: expected string, received number',
      'filters.f3.failregex[0]: unknown key "other"',
      'fleet.name: fleet names use letters, digits, _ . - (at most 64)',
      'fleet.share: share at least failures or bans',
      'fleet.node: node names use letters, digits, _ . - (at most 64)',
      `fail2ban.dir: ${tooSmall}`,
      'jails.bad name!: jail names use letters, digits, _ . - (at most 48)',
      'jails.j.enabled: Invalid input: expected boolean, received string',
      'jails.j.filter: expected a filter id',
      `jails.j.logpath[0]: ${tooSmall}`,
      `jails.j.journalmatch[0]: ${tooSmall}`,
      'jails.j.ipv6prefix: expected a prefix length from 48 to 128',
      'jails.k.filter.id: expected a filter id',
      'jails.k.filter.options.a: Invalid input: expected string, received array',
      'jails.k.filter.failregex[0]: expected a regex',
      'jails.k.filter.ignoreregex[0]: expected a regex',
      'jails.k.filter.unsafe: Invalid input: expected boolean, received number',
      'jails.k.filter: unknown key "q"',
      `jails.k.logpath: ${tooSmall}`,
      'jails.ok.maxretry: expected a positive integer',
      'jails.ok.port: a port is a whole number',
      'jails.ok: unknown key "bogus"',
      '(root): unknown key "extra"',
    ]);
  });

  it('names several unknown keys in one line, and says what the root must be', () => {
    expect(schemaLines({ jails: {}, a: 1, b: 2 })).toEqual(['(root): unknown keys "a", "b"']);
    expect(schemaLines(null)).toEqual(['(root): Invalid input: expected object, received null']);
    expect(schemaLines({})).toEqual(['jails: Invalid input: expected record, received undefined']);
  });

  it('ids and names: letters, digits, _ . - up to their length', () => {
    const id64 = `a${'-'.repeat(62)}z`;
    for (const good of ['a', 'Web_1.x-y', id64, '0']) {
      expect(schemaLines({ filters: { [good]: { failregex: ['x'] } }, fleet: { name: good, node: good }, jails: { [good.slice(0, 48)]: { filter: good } } }), good).toEqual([]);
    }
    for (const bad of [`${id64}z`, 'x!', '!x', 'a b', '']) {
      expect(schemaLines({ filters: { [bad]: { failregex: ['x'] } }, fleet: { name: bad, node: bad }, jails: {} }), bad).toEqual([
        `filters.${bad}: filter ids use letters, digits, _ . - (at most 64)`,
        'fleet.name: fleet names use letters, digits, _ . - (at most 64)',
        'fleet.node: node names use letters, digits, _ . - (at most 64)',
      ]);
    }
    expect(schemaLines({ jails: { [`${'j'.repeat(49)}`]: { filter: 'x' } } })).toEqual([`jails.${'j'.repeat(49)}: jail names use letters, digits, _ . - (at most 48)`]);
    expect(schemaLines({ jails: { 'a/b': { filter: 'x' } } })).toEqual(['jails.a/b: jail names use letters, digits, _ . - (at most 48)']);
  });

  it('the metrics address is host:port, an IPv6 host in brackets', () => {
    for (const good of ['127.0.0.1:9191', '[::1]:9191', '[2001:DB8::a]:80', 'localhost:1', 'h:65535']) expect(schemaLines({ metrics: { listen: good }, jails: {} }), good).toEqual([]);
    for (const bad of ['127.0.0.1', ':9191', 'a b:80', '::1:9191', '[::1]:123456', 'h:80x', 'h:', '[::g]:80', '[::1]x:80']) {
      expect(schemaLines({ metrics: { listen: bad }, jails: {} }), bad).toEqual(['metrics.listen: expected host:port, e.g. 127.0.0.1:9191']);
    }
  });

  it('ports: numbers 0 to 65535, names and ranges in a list', () => {
    expect(schemaLines({ jails: { a: { filter: 'x', port: [0, 65535, 'ssh, 8000:8100', 22] } } })).toEqual([]);
    expect(schemaLines({ jails: { a: { filter: 'x', port: 'ssh,  , 80' } } })).toEqual([]);
    expect(schemaLines({ jails: { a: { filter: 'x', port: 'ssh, sshh, 99999' } } })).toEqual([
      'jails.a.port: "sshh" is not a service name in /etc/services (nftables and iptables would refuse it): use the port number',
      'jails.a.port: "99999" is not a port: ports are 0 to 65535',
    ]);
  });
});

describe('defaults and the valid parts', () => {
  it('fills every default', () => {
    const config = configSchema.parse({ fleet: { name: 'f' }, jails: { a: { filter: { id: 'x', options: { n: 3, b: true } } } } });
    expect(config).toEqual({
      plugins: [],
      dbpurgeage: '7d',
      loglevel: 'info',
      maxtracked: 1_000_000,
      defaults: {},
      filters: {},
      fleet: { name: 'f', share: ['failures', 'bans'] },
      jails: { a: { enabled: true, filter: { id: 'x', options: { n: '3', b: 'true' } } } },
    });
    expect(configSchema.parse({ jails: { a: { filter: { id: 'x' } } } }).jails.a!.filter).toEqual({ id: 'x', options: {} });
    expect(configSchema.parse({ jails: {}, defaults: { actions: [{ id: 'a' }] } }).defaults.actions).toEqual([{ id: 'a', options: {} }]);
    // A fleet backend's own settings sit beside the fleet's keys.
    expect(configSchema.parse({ fleet: { name: 'f', redis: 'redis://x' }, jails: {} }).fleet).toMatchObject({ redis: 'redis://x' });
  });

  it('keeps the valid parts of an invalid config: plugins, defaults, state paths and each jail without its bad keys', () => {
    const parts = validParts({
      plugins: ['a', '', 3],
      database: '',
      socket: 'x.sock',
      defaults: { maxretry: 0, bantime: '1h' },
      jails: { 'b!': { filter: 'x' }, ok: { filter: 'x', maxretry: 0, bogus: 1 }, nofilter: { maxretry: 3 }, badfilter: { filter: 3 }, arr: [1] },
    });
    expect(parts).toEqual({
      plugins: ['a'],
      socket: 'x.sock',
      dbpurgeage: '7d',
      loglevel: 'info',
      maxtracked: 1_000_000,
      defaults: { bantime: '1h' },
      filters: {},
      jails: { ok: { enabled: true, filter: 'x' } },
    });
    expect(validParts(null)).toEqual(configSchema.parse({ jails: {} }));
    expect(validParts({ plugins: 'a', jails: [], defaults: 3 })).toEqual(configSchema.parse({ jails: {} }));
    expect(validParts({ database: 'x.db', jails: {} }).database).toBe('x.db');
  });

  it('composes the valid jails of a config with schema problems, so their problems show in the same pass', async () => {
    expect(
      await problems({
        plugins: [plugin],
        loglevel: 'loud',
        defaults: { maxretry: 0, actions: ['nope'] },
        jails: { a: { filter: 'demo', bogus: 1 }, b: { filter: 'dem' }, c: { filter: 'demo', maxretry: 'x' } },
      }),
    ).toEqual([
      'loglevel: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"',
      'defaults.maxretry: expected a positive integer',
      'jails.a: unknown key "bogus"',
      'jails.c.maxretry: expected a positive integer',
      'defaults.actions[0]: unknown action "nope"; known actions: dry-run',
      'jails.b.filter: unknown filter "dem"; did you mean "demo"? known filters: demo',
    ]);
  });
});
