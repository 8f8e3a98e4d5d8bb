import { describe, expect, test } from 'vitest';
import { compileFilter } from '../src/filters/compile-filter.js';
import type { PortcullisError } from '../src/util/errors.js';
import type { FailRule, FilterDefinition } from '../src/contract/filter-definition.js';
import { LineParser } from '../src/parsing/line-parser.js';
import { isUnreportable } from '../src/filters/compiled-rule.js';
import { addressBytes } from '../src/util/ip-address.js';

const parser = new LineParser({ format: 'syslog', now: () => Date.UTC(2005, 2, 1) });
const line = (message: string, pid = '1', program = 'sshd') =>
  parser.parse(`Feb 25 13:34:10 h ${program}[${pid}]: ${message}`);

const sshd: FilterDefinition = {
  id: 'mini-sshd',
  programs: ['sshd'],
  prefix: '(?:error|fatal): (?:PAM: )?',
  options: { mode: { values: ['normal', 'aggressive'], default: 'normal' } },
  failregex: [
    '^Failed (?:password|publickey) for (?:invalid user )?<F-USER>.+</F-USER> from <HOST> port \\d+(?: ssh\\d)?$',
    { pattern: '^Invalid user <F-USER>.*</F-USER> from <HOST>(?: port \\d+)?$', description: 'invalid user' },
    { pattern: '^Connection closed by <HOST> port \\d+ \\[preauth\\]$', when: { mode: ['aggressive'] } },
    {
      pattern: '^maximum authentication attempts exceeded for <F-USER>.+</F-USER> from <HOST> port \\d+',
      literals: ['maximum'],
    },
  ],
  ignoreregex: ['for ignoreme from'],
};

describe('compileFilter: options and rules', () => {
  test('defaults and when-selection', () => {
    expect(compileFilter(sshd).options).toEqual({ mode: 'normal' });
    expect(compileFilter(sshd).rules.length).toBe(3);
    expect(compileFilter(sshd, { mode: 'aggressive' }).rules.length).toBe(4);
    expect(compileFilter(sshd).rules[1]).toEqual({
      pattern: '^Invalid user <F-USER>.*</F-USER> from <HOST>(?: port \\d+)?$',
      kind: 'fail',
      description: 'invalid user',
    });
  });

  test.each([
    [{ mod: 'normal' }, /no option "mod"; valid options: mode/],
    [{ mode: 'ddos' }, /mode="ddos" is not valid; valid values: normal, aggressive/],
  ])('invalid options %j → FILTER_OPTION_INVALID', (opts, message) => {
    try {
      compileFilter(sshd, opts);
      expect.unreachable();
    } catch (e) {
      expect((e as PortcullisError).code).toBe('FILTER_OPTION_INVALID');
      expect((e as Error).message).toMatch(message);
    }
  });

  test('function-valued failregex and ignoreregex get the resolved options', () => {
    const seen: unknown[] = [];
    const f = compileFilter(
      {
        id: 'fn',
        options: { level: { values: ['a', 'b'], default: 'a' } },
        failregex: (o) => {
          seen.push(o);
          return [`^${o.level} from <HOST>$`];
        },
        ignoreregex: (o) => (o.level === 'b' ? ['^b from 192\\.0\\.2\\.9$'] : []),
      },
      { level: 'b' },
    );
    expect(seen).toEqual([{ level: 'b' }]);
    expect(f.match(parser.parse('b from 192.0.2.1'))?.[0]?.host).toBe('192.0.2.1');
    expect(f.match(parser.parse('b from 192.0.2.9'))).toBeUndefined();
  });

  test('invalid regex → FILTER_REGEX_INVALID naming filter and rule', () => {
    expect(() => compileFilter({ id: 'bad', failregex: ['^ok <HOST>$', '^broken (<HOST>'] })).toThrow(
      /filter "bad", failregex #1 \/\^broken \(<HOST>\//,
    );
    try {
      compileFilter({ id: 'bad', failregex: ['(['] });
    } catch (e) {
      expect((e as PortcullisError).code).toBe('FILTER_REGEX_INVALID');
    }
  });

  test('a rule kind no one handles, or an empty literal, is FILTER_RULE_INVALID naming filter and rule', () => {
    const bad = (rule: Record<string, unknown>) => () => compileFilter({ id: 'bad', failregex: [{ pattern: '^a <HOST>$' }, { pattern: '^b <HOST>$', ...rule }] as never });
    expect(bad({ kind: 'notes' })).toThrow(/^filter "bad", failregex #1: kind "notes" is not one of fail, note, pending, fallback, success$/);
    expect(bad({ kind: '' })).toThrow(/kind "" is not one of/);
    expect(bad({ literals: ['b ', ''] })).toThrow(/^filter "bad", failregex #1: a literal must be a non-empty string$/);
    expect(bad({ kind: 'notes' })).toThrow(expect.objectContaining({ code: 'FILTER_RULE_INVALID' }));
    // Every kind there is, and no literals at all, load.
    for (const kind of ['fail', 'note', 'pending', 'fallback', 'success']) expect(bad({ kind })).not.toThrow();
    expect(bad({ literals: [] })).not.toThrow();
  });
});

describe('compileFilter: matching', () => {
  const f = compileFilter(sshd, { mode: 'aggressive' });

  test('a failure with host, user, time, line and rule index', () => {
    const l = line('Failed password for invalid user admin from 192.0.2.1 port 22 ssh2');
    const r = f.match(l);
    expect(r).toEqual([
      {
        host: '192.0.2.1',
        user: 'admin',
        time: Date.parse('2005-02-25T13:34:10Z') + new Date(2005, 1, 25).getTimezoneOffset() * 60_000,
        fields: undefined,
        line: l,
        rule: 0,
      },
    ]);
  });

  test('prefix is stripped before the rules run', () => {
    expect(
      f.match(
        line(
          'error: maximum authentication attempts exceeded for root from 192.0.2.3 port 22 ssh2 [preauth]',
        ),
      )?.[0]?.host,
    ).toBe('192.0.2.3');
    expect(f.match(line('fatal: PAM: Failed password for root from 192.0.2.4 port 22'))?.[0]?.host).toBe(
      '192.0.2.4',
    );
  });

  test('other programs are skipped; program-less lines are tried', () => {
    expect(f.match(line('Failed password for root from 192.0.2.1 port 22', '1', 'sudo'))).toBeUndefined();
    expect(f.match(parser.parse('Failed password for root from 192.0.2.1 port 22'))?.[0]?.host).toBe(
      '192.0.2.1',
    );
  });

  test('no match returns undefined', () => {
    expect(f.match(line('Accepted publickey for root from 192.0.2.1 port 22 ssh2'))).toBeUndefined();
    expect(f.match(line(''))).toBeUndefined();
  });

  test('ignoreregex wins', () => {
    expect(f.match(line('Failed password for ignoreme from 192.0.2.1 port 22'))).toBeUndefined();
  });

  test.each([
    ['::ffff:192.0.2.5', '192.0.2.5'],
    ['2001:DB8::AB', '2001:db8::ab'],
    ['2001:db8:0:0::1', '2001:db8:0:0::1'],
    ['host.example.org', 'host.example.org'],
  ])('host %s is reported as %s', (logged, reported) => {
    expect(f.match(line(`Invalid user bob from ${logged} port 22`))?.[0]?.host).toBe(reported);
  });

  test('a captured address that does not parse does not match', () => {
    expect(f.match(line('Invalid user bob from 999.1.1.1 port 22'))).toBeUndefined();
    expect(f.match(line('Invalid user bob from 1:2:3:4:5:6:7:8:9 port 22'))).toBeUndefined();
  });

  test('injection: a user name carrying "from <addr>" cannot choose the host', () => {
    const r = f.match(
      line('Failed password for invalid user x from 203.0.113.66 port 22 ssh2 from 192.0.2.7 port 4022 ssh2'),
    );
    expect(r?.[0]?.host).toBe('192.0.2.7');
    expect(r?.[0]?.user).toBe('x from 203.0.113.66 port 22 ssh2');
  });

  test('<ADDR>/<IP6> with a port after it backtracks to the address (Apache 2.4 [client ip:port])', () => {
    const a = compileFilter({
      id: 'a',
      failregex: ['^\\[client <ADDR>:\\d+\\] AH01618:', '^ip4 <IP4>$', '^ip6 <IP6>$'],
    });
    expect(a.match(parser.parse('[client 2001:db8::1:51234] AH01618: user x'))?.[0]?.host).toBe(
      '2001:db8::1',
    );
    expect(a.match(parser.parse('[client 2001:db8::1:5123] AH01618: user x'))?.[0]?.host).toBe('2001:db8::1');
    expect(a.match(parser.parse('[client [2001:db8::2]:5123] AH01618: user x'))?.[0]?.host).toBe(
      '2001:db8::2',
    );
    expect(a.match(parser.parse('[client 192.0.2.1:80] AH01618: x'))?.[0]?.host).toBe('192.0.2.1');
    expect(a.match(parser.parse('ip4 192.0.2.1'))?.[0]?.host).toBe('192.0.2.1');
    expect(a.match(parser.parse('ip4 example.com'))).toBeUndefined();
    expect(a.match(parser.parse('ip6 ::ffff:10.0.0.1'))?.[0]?.host).toBe('10.0.0.1');
    expect(a.match(parser.parse('ip6 1:2:3:4:5:6:7:8'))?.[0]?.host).toBe('1:2:3:4:5:6:7:8');
    expect(a.match(parser.parse('ip6 1::2::3'))).toBeUndefined();
  });

  test("the pattern's own groups (numbered, named, classes with parens) do not shift the tag groups", () => {
    const g = compileFilter({
      id: 'n',
      failregex: ['^(a|b) (?<word>\\w+) [(]\\(? \\k<word> <F-USER>\\S+</F-USER> from (?:x )?<HOST>$'],
    });
    expect(g.match(parser.parse('a hi ( hi bob from 192.0.2.8'))?.[0]).toMatchObject({
      user: 'bob',
      host: '192.0.2.8',
    });
  });

  test.each([
    '::',
    '[::]',
    '0:0::0',
    '0.0.0.0',
    '::ffff:0.0.0.0',
    '0.1.2.3',
    '255.255.255.255',
    '224.0.0.1',
    '239.255.255.250',
    'ff02::1',
    'FF05::2',
  ])('a failure never names the unspecified, multicast or broadcast address %s', (addr) => {
    const f = compileFilter({ id: 'u', failregex: ['^bad <HOST>$', '^addr <ADDR>$'] });
    expect(f.match(parser.parse(`bad ${addr}`))).toBeUndefined();
    expect(f.match(parser.parse(`addr ${addr}`))).toBeUndefined();
  });

  test.each(['223.255.255.255', '240.0.0.1', '1.0.0.0', '255.255.255.254', '2001:db8::1', '::1'])(
    'ordinary address %s still matches',
    (addr) => {
      const f = compileFilter({ id: 'u', failregex: ['^bad <HOST>$'] });
      expect(f.match(parser.parse(`bad ${addr}`))?.[0]?.host).toBe(addr);
    },
  );

  test('IPv6 hosts read without allocating are reported as the full parser reports them', () => {
    // The reading every captured host got before the allocation-free IPv6 path: parse, refuse, canonicalise.
    const reference = (text: string): string | undefined => {
      const bytes = addressBytes(text);
      if (bytes === undefined || isUnreportable(bytes)) return undefined;
      return bytes.length === 4 ? bytes.join('.') : text.toLowerCase();
    };
    const f = compileFilter({ id: 'v6', failregex: ['^bad <ADDR>$'] });
    let seed = 15;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const group = (): string =>
      ['0', '1', 'ff', 'FF00', 'feff', 'fe80', 'db8', '2001', 'ffff', 'abcd', '00000', 'g1', ''][random(13)]!;
    const texts = ['1::', '::1', '1:::2', '1::2::3', 'fe80::1', 'FEFF::1', 'ff00::1', '0::1', '1:2:3:4:5:6:7:8:9'];
    for (let k = 0; k < 3000; k++) {
      const parts = Array.from({ length: 1 + random(9) }, group);
      if (random(2) === 0) parts.splice(random(parts.length + 1), 0, '');
      texts.push(parts.join(':'));
    }
    let reported = 0;
    for (const text of texts) {
      const host = f.match(parser.parse(`bad ${text}`))?.[0]?.host;
      if (host !== undefined) reported++;
      // The tag's regex refuses some malformed text before the host is read: then there is nothing to compare.
      if (host !== undefined || reference(text) === undefined) expect(host, text).toBe(reference(text));
    }
    expect(reported).toBeGreaterThan(200);
  });

  test('<F-ID> and any <F-NAME> go to fields', () => {
    const g = compileFilter({
      id: 'g',
      failregex: ['^session <F-ID>\\w+</F-ID> of <F-ANYTHING>.*?</F-ANYTHING> from <HOST>$'],
    });
    expect(g.match(parser.parse('session ab12 of x y from 192.0.2.1'))?.[0]?.fields).toEqual({
      id: 'ab12',
      anything: 'x y',
    });
  });

  test('custom matcher runs first and its failures are returned as they are', () => {
    const custom = compileFilter({
      id: 'c',
      failregex: ['^regex <HOST>$'],
      match: (o) => ({
        match: (l) =>
          l.message.startsWith('custom')
            ? [{ host: `10.0.0.${Object.keys(o).length + 1}`, time: 1, line: l, rule: -1 }]
            : undefined,
      }),
    });
    expect(custom.match(parser.parse('custom'))).toEqual([
      { host: '10.0.0.1', time: 1, line: expect.anything(), rule: -1 },
    ]);
    expect(custom.match(parser.parse('regex 192.0.2.2'))?.[0]?.host).toBe('192.0.2.2');
  });
});

describe('compileFilter: multi-line correlation', () => {
  const def: FilterDefinition = {
    id: 'corr',
    programs: ['sshd'],
    correlate: 'pid',
    failregex: [
      { pattern: '^Connection from <HOST> port \\d+', kind: 'note' },
      { pattern: '^Failed publickey for <F-USER>\\S+</F-USER>', kind: 'pending' },
      { pattern: '^Accepted publickey for \\S+', kind: 'success' },
      { pattern: '^Failed password for <F-USER>\\S+</F-USER>$' },
      { pattern: '^Connection closed( by \\S+)?', kind: 'note', forget: true },
    ],
  };

  test('note gives the host to later host-less lines; pending released on forget, with its own line', () => {
    const f = compileFilter(def);
    expect(f.match(line('Connection from 192.0.2.1 port 5', '10'))).toBeUndefined();
    expect(f.match(line('Failed password for root', '10'))?.[0]).toMatchObject({
      host: '192.0.2.1',
      user: 'root',
    });
    const pendingLine = line('Failed publickey for bob', '10');
    expect(f.match(pendingLine)).toBeUndefined();
    const released = f.match(line('Connection closed by x', '10'));
    expect(released?.length).toBe(1);
    expect(released?.[0]?.line).toEqual(pendingLine);
    expect(released?.[0]).toMatchObject({ host: '192.0.2.1', user: 'bob', rule: 1 });
    // forgotten: the pid no longer has a host
    expect(f.match(line('Failed password for root', '10'))).toBeUndefined();
  });

  test('success drops pending failures; other pids are independent', () => {
    const f = compileFilter(def);
    f.match(line('Connection from 192.0.2.1 port 5', '20'));
    f.match(line('Connection from 192.0.2.2 port 5', '21'));
    f.match(line('Failed publickey for bob', '20'));
    f.match(line('Failed publickey for eve', '21'));
    expect(f.match(line('Accepted publickey for bob', '20'))).toBeUndefined();
    expect(f.match(line('Connection closed', '20'))).toBeUndefined();
    expect(f.match(line('Connection closed', '21'))?.[0]?.host).toBe('192.0.2.2');
  });

  test('silent ids expire after 10 minutes; reset forgets everything', () => {
    const f = compileFilter(def);
    const at = (minute: number, msg: string, pid: string) => ({
      ...line(msg, pid),
      time: Date.UTC(2005, 1, 25, 12, minute),
    });
    f.match(at(0, 'Connection from 192.0.2.1 port 5', '30'));
    f.match(at(0, 'Failed publickey for bob', '30'));
    f.match(at(12, 'Connection from 192.0.2.9 port 5', '31'));
    expect(f.match(at(12, 'Connection closed', '30'))).toBeUndefined();
    f.match(at(13, 'Connection from 192.0.2.3 port 5', '32'));
    f.reset();
    expect(f.match(at(13, 'Failed password for x', '32'))).toBeUndefined();
  });

  test('state is bounded: the oldest ids are evicted', () => {
    const f = compileFilter(def, {}, { maxCorrelationIds: 100 });
    f.match(line('Connection from 192.0.2.1 port 5', 'first'));
    for (let i = 0; i < 150; i++) f.match(line('Connection from 192.0.2.2 port 5', `p${i}`));
    expect(f.match(line('Failed password for root', 'first'))).toBeUndefined();
    expect(f.match(line('Failed password for root', 'p149'))?.[0]?.host).toBe('192.0.2.2');
  });

  test('one id holds at most 32 pending failures: beyond that the oldest count at once', () => {
    const f = compileFilter(def);
    f.match(line('Connection from 192.0.2.7 port 5', '50'));
    for (let i = 0; i < 32; i++) expect(f.match(line(`Failed publickey for u${i}`, '50'))).toBeUndefined();
    const early = f.match(line('Failed publickey for u32', '50'));
    expect(early?.map((x) => x.user)).toEqual(['u0']);
    const rest = f.match(line('Connection closed', '50'));
    expect(rest?.length).toBe(32);
    expect(rest?.[0]?.user).toBe('u1');
  });

  test('a fail settles the pending failures of its id: one attempt is not counted twice', () => {
    const f = compileFilter(def);
    f.match(line('Connection from 192.0.2.4 port 5', '60'));
    expect(f.match(line('Failed publickey for bob', '60'))).toBeUndefined();
    expect(f.match(line('Failed password for bob', '60'))?.map((x) => x.rule)).toEqual([3]);
    expect(f.match(line('Connection closed', '60'))).toBeUndefined();
  });

  test('a host-less failure on a closing line waits for the line that names the host', () => {
    const f = compileFilter({
      ...def,
      failregex: [
        ...(def.failregex as readonly FailRule[]),
        { pattern: '^Too many failures$', forget: true },
      ],
    });
    expect(f.match(line('Too many failures', '80'))).toBeUndefined();
    expect(f.match(line('Connection closed by 192.0.2.9', '80'))).toBeUndefined(); // note: names no <HOST>
    const g = compileFilter({
      ...def,
      failregex: [
        { pattern: '^Too many failures$', forget: true },
        { pattern: '^Closed by <HOST>', kind: 'note', forget: true },
      ],
    });
    expect(g.match(line('Too many failures', '81'))).toBeUndefined();
    expect(g.match(line('Closed by 192.0.2.9', '81'))?.map((x) => [x.host, x.line.message])).toEqual([
      ['192.0.2.9', 'Too many failures'],
    ]);
    expect(g.match(line('Closed by 192.0.2.9', '81'))).toBeUndefined(); // forgotten now
  });

  test('fallback counts only for an id that counted nothing and holds nothing pending', () => {
    const fb: FilterDefinition = {
      ...def,
      failregex: [
        ...(def.failregex as readonly FailRule[]),
        { pattern: '^Too many failures for <F-USER>\\S+</F-USER>', kind: 'fallback' },
      ],
    };
    const f = compileFilter(fb);
    f.match(line('Connection from 192.0.2.5 port 5', '70'));
    expect(f.match(line('Too many failures for root', '70'))?.[0]).toMatchObject({
      host: '192.0.2.5',
      user: 'root',
      rule: 5,
    });
    expect(f.match(line('Too many failures for root', '70'))).toBeUndefined(); // counted once
    f.match(line('Connection from 192.0.2.6 port 5', '71'));
    f.match(line('Failed password for root', '71'));
    expect(f.match(line('Too many failures for root', '71'))).toBeUndefined(); // the attempt was counted
    f.match(line('Connection from 192.0.2.7 port 5', '72'));
    f.match(line('Failed publickey for git', '72'));
    expect(f.match(line('Too many failures for git', '72'))).toBeUndefined(); // the pending one will count
    expect(f.match(line('Connection closed', '72'))?.map((x) => x.rule)).toEqual([1]);
    // Without a correlation id it counts like fail (when the line has its host).
    const g = compileFilter({
      ...fb,
      failregex: [{ pattern: '^Too many failures from <HOST>', kind: 'fallback' }],
    });
    expect(g.match(parser.parse('Feb 25 13:34:10 h sshd: Too many failures from 192.0.2.8'))?.[0]?.host).toBe(
      '192.0.2.8',
    );
  });

  test('without a correlation id, pending failures are dropped and fail rules need their own host', () => {
    const f = compileFilter(def);
    const noPid = parser.parse('Feb 25 13:34:10 h sshd: Failed publickey for bob');
    expect(f.match(noPid)).toBeUndefined();
  });
});

describe('compileFilter: correlation, host-less lines and custom matchers', () => {
  const kex: FilterDefinition = {
    id: 'kex',
    programs: ['sshd'],
    correlate: 'pid',
    failregex: [
      { pattern: '^kex_exchange_identification: ' },
      { pattern: '^Failed publickey for <F-USER>\\S+</F-USER>$', kind: 'pending' },
      { pattern: '^Accepted publickey for <F-USER>\\S+</F-USER> from <HOST>$', kind: 'success' },
      { pattern: '^Connection closed by <HOST> port \\d+$', kind: 'note', forget: true },
      { pattern: '^Failed password for <F-USER>\\S+</F-USER>$' },
    ],
  };

  test('a host-less fail waits for a later line of the same id that names the host', () => {
    const f = compileFilter(kex);
    const first = line('kex_exchange_identification: Connection closed by remote host', '40');
    expect(f.match(first)).toBeUndefined();
    expect(f.match(line('Connection closed by 192.0.2.7 port 4242', '41'))).toBeUndefined();
    const got = f.match(line('Connection closed by 192.0.2.8 port 4242', '40'));
    expect(got).toHaveLength(1);
    expect(got?.[0]).toMatchObject({ host: '192.0.2.8', rule: 0 });
    expect(got?.[0]?.line).toEqual(first);
  });

  test('a host-less pending waits for its host, then for the end of the connection', () => {
    const f = compileFilter({
      ...kex,
      failregex: [
        ...(kex.failregex as object[]),
        { pattern: '^Connection from <HOST> port \\d+$', kind: 'note' },
      ] as FilterDefinition['failregex'],
    });
    expect(f.match(line('Failed publickey for bob', '50'))).toBeUndefined();
    expect(f.match(line('Connection from 192.0.2.9 port 1', '50'))).toBeUndefined();
    expect(f.match(line('Connection closed by 192.0.2.9 port 1', '50'))?.[0]).toMatchObject({
      host: '192.0.2.9',
      user: 'bob',
      rule: 1,
    });
    // a success in between drops a waiting pending
    f.match(line('Failed publickey for eve', '51'));
    f.match(line('Accepted publickey for eve from 192.0.2.10', '51'));
    expect(f.match(line('Connection closed by 192.0.2.10 port 1', '51'))).toBeUndefined();
  });

  test('waiting failures are bounded per id and expire with their id', () => {
    const f = compileFilter(kex);
    for (let i = 0; i < 1000; i++) f.match(line('Failed password for x', '60'));
    expect(f.match(line('Connection closed by 192.0.2.11 port 1', '60'))?.length).toBe(32);
    const g = compileFilter(kex);
    const at = (minute: number, msg: string, pid: string) => ({
      ...line(msg, pid),
      time: Date.UTC(2005, 1, 25, 12, minute),
    });
    g.match(at(0, 'kex_exchange_identification: x', '61'));
    g.match(at(12, 'Failed password for y', '62'));
    expect(g.match(at(12, 'Connection closed by 192.0.2.12 port 1', '61'))).toBeUndefined();
  });

  test('a success does not overwrite the remembered host or user', () => {
    const f = compileFilter({
      ...kex,
      failregex: [
        { pattern: '^Connection from <HOST> port \\d+$', kind: 'note' },
        { pattern: '^Accepted \\S+ for <F-USER>\\S+</F-USER> from <HOST>$', kind: 'success' },
        { pattern: '^Failed password for <F-USER>\\S+</F-USER>$' },
        { pattern: '^Too many failures$' },
      ],
    });
    f.match(line('Connection from 192.0.2.20 port 1', '70'));
    f.match(line('Failed password for alice', '70'));
    f.match(line('Accepted password for mallory from 192.0.2.99', '70'));
    expect(f.match(line('Too many failures', '70'))?.[0]).toMatchObject({
      host: '192.0.2.20',
      user: 'alice',
    });
  });

  test('when the custom matcher reports a line, the regex rules still note and forget', () => {
    const f = compileFilter({
      id: 'mixed',
      correlate: 'pid',
      failregex: [
        { pattern: '^Connection from <HOST> port \\d+$', kind: 'note' },
        { pattern: '^Failed publickey for <F-USER>\\S+</F-USER>$', kind: 'pending' },
        { pattern: '^Closed <HOST> both$', kind: 'note', forget: true },
        { pattern: '^Failed password for x$' },
      ],
      match: () => ({
        match: (l) =>
          l.message.endsWith('both')
            ? [{ host: '198.51.100.1', time: l.time, line: l, rule: -1 }]
            : undefined,
      }),
    });
    f.match(line('Connection from 192.0.2.30 port 1', '80'));
    const pendingLine = line('Failed publickey for bob', '80');
    f.match(pendingLine);
    const got = f.match(line('Closed 192.0.2.30 both', '80'));
    expect(got?.map((x) => [x.host, x.rule])).toEqual([
      ['198.51.100.1', -1],
      ['192.0.2.30', 1],
    ]);
    expect(got?.[1]?.line).toEqual(pendingLine);
    // the forget happened: the pid remembers no host, so a host-less fail waits instead of counting
    expect(f.match(line('Failed password for x', '80'))).toBeUndefined();
  });
});

describe('compileFilter: hostile input', () => {
  const hostile = [
    'from '.repeat(13_000),
    ' '.repeat(65_000),
    `Failed password for ${'from '.repeat(13_000)}`,
    `Failed password for invalid user ${'1:2:3:4:5:6:7:'.repeat(4600)}`,
    `Invalid user ${'[::'.repeat(21_000)}`,
    `Invalid user x from ${'a.'.repeat(32_000)}`,
    `Failed password for root from ${'1.2.3.'.repeat(10_000)} port 22`,
  ];
  // Backtracking over these lines takes minutes; the bound is generous so a loaded machine never fails it.
  test('64 KiB hostile lines stay linear (all rules, 70 lines)', () => {
    const f = compileFilter(sshd, { mode: 'aggressive' }, { maxLineLength: 1 << 20 });
    const t0 = performance.now();
    for (let k = 0; k < 10; k++) for (const m of hostile) f.match(line(m));
    expect(performance.now() - t0).toBeLessThan(15_000);
  });
  test('engine default cuts messages to MAX_LINE_LENGTH before the regexes', () => {
    const f = compileFilter({ id: 'len', failregex: ['^x+ from <HOST>$'] });
    expect(f.match(parser.parse(`${'x'.repeat(20_000)} from 192.0.2.1`))).toBeUndefined();
    expect(f.match(parser.parse(`${'x'.repeat(2_000)} from 192.0.2.1`))?.[0]?.host).toBe('192.0.2.1');
  });
});

describe('compileFilter: rules with many literals (one pass for all of them first)', () => {
  // Five groups of literals, some with regex metacharacters, none a prefix of the message: the filter asks
  // once whether any of them is in the message before checking each rule's own.
  const many = compileFilter({
    id: 'many-literals',
    failregex: [
      { pattern: '^.*a\\.b.* <HOST>$', literals: ['a.b'] },
      { pattern: '^.*x\\|y.* <HOST>$', literals: ['x|y'] },
      { pattern: '^.*\\(z\\).* <HOST>$', literals: ['(z)'] },
      { pattern: '^.*(?:one|two).* <HOST>$', literals: ['one', 'two'] },
      { pattern: '^.*\\{q\\}\\$\\\\.* <HOST>$', literals: ['{q}$\\'] },
    ],
  });
  const host = (message: string) => many.match(parser.parse(`Feb 25 13:34:10 h demo[1]: ${message}`))?.[0]?.host;

  test('a line holding any one literal reaches its rule, metacharacters taken as text', () => {
    expect(host('see a.b from 192.0.2.1')).toBe('192.0.2.1');
    expect(host('see x|y from 192.0.2.2')).toBe('192.0.2.2');
    expect(host('see (z) from 192.0.2.3')).toBe('192.0.2.3');
    expect(host('see two from 192.0.2.4')).toBe('192.0.2.4');
    expect(host('see {q}$\\ from 192.0.2.5')).toBe('192.0.2.5');
  });

  test('a line holding none of them, or only what a metacharacter would match, matches no rule', () => {
    for (const m of ['see aXb from 192.0.2.1', 'see x from 192.0.2.2', 'see z from 192.0.2.3', 'see on from 192.0.2.4', 'see {q} from 192.0.2.5', `${'a'.repeat(60_000)} 192.0.2.6`]) {
      expect(host(m)).toBeUndefined();
    }
  });
});
