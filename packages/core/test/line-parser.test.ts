import { describe, expect, test } from 'vitest';
import { LineParser } from '../src/parsing/line-parser.js';
import { readsProgram } from '../src/contract/log-line.js';
import { decodeJournalRecord } from '../src/sources/journal-record.js';

const now = (): number => Date.UTC(2005, 2, 1);
const iso = (t: number): string | null => (Number.isFinite(t) ? new Date(t).toISOString() : null);

describe('LineParser (syslog)', () => {
  const p = new LineParser({ format: 'syslog', now });

  test('RFC 3164 header: host, program, pid, message', () => {
    const l = p.parse(
      'Feb 25 13:34:10 myhost sshd[1234]: Failed password for root from 192.0.2.1 port 22 ssh2',
      7,
      'auth.log',
    );
    expect(l).toMatchObject({
      program: 'sshd',
      pid: '1234',
      hostname: 'myhost',
      lineno: 7,
      source: 'auth.log',
    });
    expect(l.message).toBe('Failed password for root from 192.0.2.1 port 22 ssh2');
    expect(Number.isFinite(l.time)).toBe(true);
  });

  test('<PRI> before a 3164 date; program without pid; no host name; slashes in the tag', () => {
    expect(p.parse('<38>Feb 25 13:34:10 h su: x').program).toBe('su');
    const a = p.parse('Feb 25 13:34:10 h CRON[7]: pam_unix(cron:session): session opened');
    expect([a.program, a.pid, a.message]).toEqual(['CRON', '7', 'pam_unix(cron:session): session opened']);
    const b = p.parse('Feb 25 13:34:10 sshd[9]: hello');
    expect([b.hostname, b.program, b.pid, b.message]).toEqual([undefined, 'sshd', '9', 'hello']);
    expect(p.parse('Feb 25 13:34:10 mx postfix/smtpd[3]: warning: x').program).toBe('postfix/smtpd');
  });

  test('busybox syslogd, metalog and Win32-OpenSSH headers', () => {
    const a = p.parse(
      'Mar 10 12:13:24 alpine authpriv.info sshd[2101]: Failed password for root from 192.0.2.180 port 22 ssh2',
    );
    expect([a.hostname, a.program, a.pid, a.message]).toEqual([
      'alpine',
      'sshd',
      '2101',
      'Failed password for root from 192.0.2.180 port 22 ssh2',
    ]);
    expect(p.parse('Mar 10 12:13:26 alpine authpriv.notice sudo: alice : TTY=pts/0').program).toBe('sudo');
    const b = p.parse('Mar 10 12:13:30 [sshd] Invalid user test from 192.0.2.191 port 40311');
    expect([b.hostname, b.program, b.pid, b.message]).toEqual([
      undefined,
      'sshd',
      undefined,
      'Invalid user test from 192.0.2.191 port 40311',
    ]);
    const b2 = p.parse(
      'Mar  3 00:17:22 [sshd]: User root from 192.0.2.49 not allowed because not listed in AllowUsers',
    );
    expect([b2.program, b2.message]).toEqual([
      'sshd',
      'User root from 192.0.2.49 not allowed because not listed in AllowUsers',
    ]);
    const c = p.parse(
      '4780 2019-11-19 16:21:41.459 Failed password for invalid user admin from 192.0.2.184 port 52318 ssh2',
    );
    expect([c.program, c.pid, c.message, Number.isFinite(c.time)]).toEqual([
      undefined,
      '4780',
      'Failed password for invalid user admin from 192.0.2.184 port 52318 ssh2',
      true,
    ]);
    // Not a facility.level word, not after an RFC 3164 date, not a bracketed tag: the message stays whole.
    expect(p.parse('Mar 10 12:13:24 alpine Auth.Info sshd[1]: x').program).toBeUndefined();
    const d = p.parse('[Wed Oct 11 14:32:52 2000] [error] [client 192.0.2.1] user bob not found: /x');
    expect([d.program, d.message]).toEqual([undefined, '[error] [client 192.0.2.1] user bob not found: /x']);
    expect(p.parse('12345 hello').pid).toBeUndefined();
  });

  test("Solaris syslogd's message id belongs to the header", () => {
    const a = p.parse(
      'Jan 10 15:33:42 mx postfix/smtpd[3051]: [ID 197553 mail.info] NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 y',
    );
    expect([a.program, a.pid, a.message]).toEqual([
      'postfix/smtpd',
      '3051',
      'NOQUEUE: reject: RCPT from x[192.0.2.1]: 554 5.7.1 y',
    ]);
    expect(p.parse('Jan 10 15:33:42 h sshd[1]: [ID 800047 auth.info] Failed x').message).toBe('Failed x');
    // Not an id: the message stays whole.
    for (const m of [
      '[ID x auth.info] a',
      '[ID 1 authinfo] a',
      '[ID 1 auth.info]a',
      '[ID 12345678901 a.b] a',
      '[client 192.0.2.1] a',
    ])
      expect(p.parse(`Jan 10 15:33:42 h sshd[1]: ${m}`).message).toBe(m);
  });

  test('remembered headers give the same result as a full parse', () => {
    const q = new LineParser({ format: 'syslog', now });
    const texts = [
      'Feb 25 13:34:10 web1 sshd[1]: a',
      'Feb 25 13:34:10 web1 sshd[22]: b',
      'Feb 25 13:34:10 web1 sshd: no pid',
      'Feb 25 13:34:10 web1 sshd[3]x: not a header',
      'Feb 25 13:34:10 web1 sshd-session[4]: c',
      'Feb 25 13:34:10 web1 sshdx[5]: d',
      'Feb 25 13:34:10 web2 sshd[6]: e',
      'Feb 25 13:34:10 web1 sshd[7]:',
      'Feb 25 13:34:10 web1 sshd[8]:nospace',
      'Feb 25 13:34:10 web1 sshd[9]: [ID 800047 auth.info] f',
    ];
    for (const text of [...texts, ...texts]) {
      const fresh = new LineParser({ format: 'syslog', now }).parse(text);
      expect(q.parse(text)).toEqual(fresh);
    }
  });

  test('rsyslog ISO timestamp header', () => {
    const l = p.parse(
      '2005-02-25T13:34:10.123456+00:00 myhost sshd[42]: Invalid user bob from 2001:db8::1 port 4',
    );
    expect([iso(l.time), l.program, l.pid, l.hostname, l.message]).toEqual([
      '2005-02-25T13:34:10.123Z',
      'sshd',
      '42',
      'myhost',
      'Invalid user bob from 2001:db8::1 port 4',
    ]);
  });

  test('RFC 5424 with and without structured data', () => {
    const a = p.parse(
      '<34>1 2005-02-25T13:34:10.003Z myhost sshd 123 ID47 [exampleSDID@32473 iut="3" eventSource="App\\]x"] \uFEFFFailed password',
    );
    expect([iso(a.time), a.hostname, a.program, a.pid, a.message]).toEqual([
      '2005-02-25T13:34:10.003Z',
      'myhost',
      'sshd',
      '123',
      'Failed password',
    ]);
    const b = p.parse('<34>1 2005-02-25T13:34:10Z - sshd - - - msg here');
    expect([b.hostname, b.program, b.pid, b.message]).toEqual([undefined, 'sshd', undefined, 'msg here']);
    const c = p.parse('<34>1 2005-02-25T13:34:10Z h app 1 - -');
    expect(c.message).toBe('');
  });

  test('a header that is not syslog-shaped: the line minus its date', () => {
    const vs = p.parse('Sat Feb 25 13:34:10 2005 [pid 1] [ftp] FAIL LOGIN: Client "192.0.2.1"');
    expect([vs.message, vs.program]).toEqual(['[pid 1] [ftp] FAIL LOGIN: Client "192.0.2.1"', undefined]);
    const ap = p.parse(
      '[Wed Oct 11 14:32:52.123 2000] [auth_basic:error] [pid 1:tid 2] [client 192.0.2.1:5] AH01618: user x',
    );
    expect(ap.message).toBe('[auth_basic:error] [pid 1:tid 2] [client 192.0.2.1:5] AH01618: user x');
    const acc = p.parse('192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 401 12');
    expect(acc.message).toBe('192.0.2.1 - -  "GET / HTTP/1.0" 401 12');
    expect(iso(acc.time)).toBe('2000-10-10T20:55:36.000Z');
    const lt = p.parse("2005-02-25 13:34:10: (mod_auth.c.828) password doesn't match");
    expect(lt.message).toBe("(mod_auth.c.828) password doesn't match");
    expect(p.parse('Feb 25 13:34:10 host last message repeated 3 times').message).toBe(
      'host last message repeated 3 times',
    );
  });

  test('lighttpd: no syslog header after a `YYYY-MM-DD HH:MM:SS: ` date; no host name starts with ( or [', () => {
    const lt = p.parse(
      '2011-12-25 17:09:20: (mod_auth.c.1136) digest: auth failed for xxx: wrong password, IP: 192.0.2.1',
    );
    expect(lt).toMatchObject({ program: undefined, hostname: undefined, pid: undefined });
    expect(lt.message).toBe('(mod_auth.c.1136) digest: auth failed for xxx: wrong password, IP: 192.0.2.1');
    expect(iso(lt.time)).not.toBeNull();
    for (const open of ['(', '[']) {
      const l = p.parse(`Feb 25 13:34:10 ${open}x.c.1) prog: text`);
      expect([l.program, l.hostname, l.message]).toEqual([undefined, undefined, `${open}x.c.1) prog: text`]);
    }
    // rsyslog's ISO header (no colon after the date) still has one
    expect(p.parse('2011-12-25T17:09:20+01:00 web1 sshd[7]: hello')).toMatchObject({
      hostname: 'web1',
      program: 'sshd',
      message: 'hello',
    });
  });

  test('parseFor skips lines of other programs without building them', () => {
    const programs = new Set(['sshd']);
    expect(p.parseFor('Feb 25 13:34:10 web1 cron[7]: hello', programs)).toBeUndefined();
    expect(p.parseFor('Feb 25 13:34:10 web1 sshd[7]: hello', programs, 3)).toMatchObject({
      program: 'sshd',
      message: 'hello',
      lineno: 3,
    });
    // no header, no program: kept for the filter to try
    expect(p.parseFor('Feb 25 13:34:10 (x) y', programs)?.message).toBe('(x) y');
    expect(p.parseFor('no date', programs)?.message).toBe('no date');
  });

  test('no date: message is the whole line, time NaN', () => {
    const l = p.parse('just text');
    expect([l.message, l.time, l.raw]).toEqual(['just text', Number.NaN, 'just text']);
  });
});

describe('LineParser (journal)', () => {
  const p = new LineParser({ format: 'journal', now });
  test('journalctl -o json record', () => {
    const l = p.parse(
      JSON.stringify({
        __REALTIME_TIMESTAMP: '1109338450123456',
        MESSAGE: 'Failed password for root',
        SYSLOG_IDENTIFIER: 'sshd',
        _PID: '77',
        _HOSTNAME: 'h',
      }),
    );
    expect([iso(l.time), l.message, l.program, l.pid, l.hostname]).toEqual([
      '2005-02-25T13:34:10.123Z',
      'Failed password for root',
      'sshd',
      '77',
      'h',
    ]);
  });
  test('MESSAGE as byte array is decoded as UTF-8', () => {
    const bytes = [...Buffer.from('Invalid user jürgen')];
    expect(p.parse(JSON.stringify({ MESSAGE: bytes, __REALTIME_TIMESTAMP: '1' })).message).toBe(
      'Invalid user jürgen',
    );
  });
  test.each(['{not json', '[1,2]', 'null', '', '{"MESSAGE": {"x":1}}'])(
    'malformed %j: time NaN, empty message, no throw',
    (text) => {
      const l = p.parse(text);
      expect(l.message).toBe('');
      expect(l.time).toBeNaN();
    },
  );
  test('auto detects journal records and leaves other JSON-ish text alone', () => {
    const a = new LineParser({ format: 'auto', now });
    expect(a.parse(JSON.stringify({ MESSAGE: 'hi', SYSLOG_IDENTIFIER: 'sshd' })).program).toBe('sshd');
    expect(a.parse('{"level":"warn"}').message).toBe('{"level":"warn"}');
    expect(a.parse('Feb 25 13:34:10 h sshd[1]: x').program).toBe('sshd');
  });
});

describe('LineParser.fromSource', () => {
  const p = new LineParser({ now });
  test('a decoded line (message set) is used as given: no header is looked for', () => {
    const l = p.fromSource({ text: 'sshd[3]: Failed password', message: 'Failed password', time: 5, program: 'sshd', pid: '3' }, undefined, 2, 'journal');
    expect(l).toEqual({
      raw: 'sshd[3]: Failed password',
      message: 'Failed password',
      time: 5,
      program: 'sshd',
      pid: '3',
      hostname: undefined,
      lineno: 2,
      source: 'journal',
    });
  });
  test('raw lines are parsed, structured fields or not', () => {
    expect(p.fromSource({ text: 'Feb 25 13:34:10 h sshd[1]: x' })).toMatchObject({ program: 'sshd', message: 'x' });
  });
  test('lines of programs outside the filter\'s are skipped on both paths', () => {
    const programs = new Set(['sshd']);
    expect(p.fromSource({ text: 'cron: x', message: 'x', program: 'cron' }, programs)).toBeUndefined();
    expect(p.fromSource({ text: 'Feb 25 13:34:10 h cron[1]: x' }, programs)).toBeUndefined();
    expect(p.fromSource({ text: 'sshd: x', message: 'x', program: 'sshd' }, programs)?.message).toBe('x');
  });
  test('a journalctl -o json line (test-filter) and the journal source give the same LogLine', () => {
    const json = JSON.stringify({ __REALTIME_TIMESTAMP: '1109338450123456', MESSAGE: 'Failed password for root from 192.0.2.1', SYSLOG_IDENTIFIER: 'sshd', _PID: '77', _HOSTNAME: 'h' });
    const fromFile = new LineParser({ format: 'journal', now }).parse(json, 1, 'journal');
    const fromSource = p.fromSource(decodeJournalRecord(json)!.line, undefined, 1, 'journal');
    expect(fromFile).toEqual(fromSource);
    expect(fromSource?.message).toBe('Failed password for root from 192.0.2.1');
  });
});

test('a filter reads its programs and their name/instance tags, nothing else', () => {
  const programs = new Set(['httpd', 'postfix/smtpd']);
  expect(['httpd', 'httpd/backend1', 'postfix/smtpd'].map((p) => readsProgram(programs, p))).toEqual([
    true,
    true,
    true,
  ]);
  expect(
    ['httpd2', 'nginx/httpd', '/httpd', 'postfix/qmgr', 'postfix'].map((p) => readsProgram(programs, p)),
  ).toEqual([false, false, false, false, false]);
  const p = new LineParser({ format: 'syslog', now });
  expect(p.parseFor('Feb 25 13:34:10 h httpd/backend1[1]: x', programs)?.program).toBe('httpd/backend1');
  expect(p.parseFor('Feb 25 13:34:10 h nginx[1]: x', programs)).toBeUndefined();
});
