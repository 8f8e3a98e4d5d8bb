import { describe, expect, test } from 'vitest';
import { ByteLineCutter } from '../src/sources/byte-line-cutter.js';
import { LineSplitter } from '../src/sources/line-splitter.js';
import { LineParser } from '../src/parsing/line-parser.js';
import { SyslogByteReader } from '../src/parsing/syslog-bytes.js';

const NOW = () => Date.UTC(2024, 5, 1, 12, 0, 0);

/** A log mixing the shapes the byte path reads and the ones it leaves to the text parser. */
const LINES = [
  'Jan  2 00:00:00 web1 sshd[10000]: Failed password for root from 192.0.2.1 port 22 ssh2',
  'Jan  2 00:00:00 web1 sshd[10000]: Failed password for root from 192.0.2.1 port 22 ssh2',
  'Jan  2 00:00:07 web1 CRON[10003]: pam_unix(cron:session): session opened for user root',
  'Jan  2 00:00:09 web1 sshd[10001]: Accepted publickey for bob from 192.0.2.2 port 1 ssh2',
  'Jan  2 00:00:59 web1 sshd: no pid here',
  'Jan  2 00:01:00 web1 sshd[10002]: Invalid user ädmin from 192.0.2.3 port 5',
  'Jan  2 00:01:01 web2 sshd[10002]: other host',
  'Jan  2 00:01:01 web1 sshd[10002]: [ID 800047 auth.info] Failed password for x from 192.0.2.4 port 1 ssh2',
  'Jan  2 00:01:02 web1 sshd[10002]:',
  'Jan  2 00:01:02 web1 sshd[10002]: ',
  'Jan  2 00:01:03 web1 sshd[10002]:  two spaces',
  'Jan  2 00:01:60 web1 sshd[1]: leap second',
  'Jan  2 00:01:04 web1 sshdX[1]: longer program',
  'Jan  2 00:01:04 web1 sshd[abc]: odd pid',
  'Jan  2 00:01:04 web1 sshd[12345678901]: long pid',
  'Jan  2 00:01:05 web1 auth.info sshd[3]: busybox',
  'Jan  2 00:01:05 sshd[4]: no host',
  'Jan  2 00:01:05 sshd[4]: no host again',
  '<34>Jan  2 00:01:06 web1 sshd[5]: with priority',
  '2024-01-02T00:01:07+00:00 web1 sshd[6]: ISO date',
  '{"MESSAGE":"journal","_PID":"7","SYSLOG_IDENTIFIER":"sshd","__REALTIME_TIMESTAMP":"1704153667000000"}',
  'no date at all',
  '',
  'Jan  2 00:01:08 web1 sshd[8]: ends with cr\r',
  `Jan  2 00:01:09 web1 sshd[9]: ${'x'.repeat(200)}`,
  `Jan  2 00:01:09 web1 sshd[9]: ${'é'.repeat(90)}`,
  'Feb 29 00:00:00 web1 sshd[1]: impossible date in 2023?',
  'Jan  2 00:01:10 web1 sshd[10]: last line without newline',
];

function viaText(text: string, programs: Set<string> | undefined, max: number) {
  const parser = new LineParser({ now: NOW });
  const splitter = new LineSplitter({ maxLineLength: max });
  const lines = [...splitter.push(text), ...splitter.flush()];
  return {
    lines: lines.map((l, i) => parser.parseFor(l, programs, i + 1, 'f')),
    truncated: splitter.truncated,
  };
}

function viaBytes(bytes: Buffer, step: number, programs: Set<string> | undefined, max: number) {
  const reader = new SyslogByteReader(new LineParser({ now: NOW }), programs);
  const cutter = new ByteLineCutter({ maxLineLength: max });
  const lines: unknown[] = [];
  const onLine = (b: Buffer, s: number, e: number) =>
    lines.push(reader.read(b, s, e, lines.length + 1, 'f').line);
  const onText = (t: string) => lines.push(reader.fromText(t, lines.length + 1, 'f').line);
  for (let at = 0; at < bytes.length; at += step)
    cutter.push(bytes.subarray(at, Math.min(bytes.length, at + step)), onLine, onText);
  cutter.flush(onLine, onText);
  return { lines, truncated: cutter.truncated };
}

describe('SyslogByteReader with ByteLineCutter', () => {
  const text = LINES.join('\n');
  const bytes = Buffer.from(text, 'utf8');

  test.each([
    ['all programs', undefined],
    ['sshd only', new Set(['sshd'])],
  ])('gives the text parser’s lines, line for line, cut anywhere (%s)', (_name, programs) => {
    const expected = viaText(text, programs, 120);
    expect(expected.truncated).toBeGreaterThan(0);
    for (const step of [1, 2, 3, 7, 64, 1000, bytes.length]) {
      expect(viaBytes(bytes, step, programs, 120)).toEqual(expected);
    }
  });

  test('one read buffer refilled for every chunk (as test-filter reads a file) gives the same lines', () => {
    const expected = viaText(text, undefined, 120);
    for (const size of [5, 64, 333, 4096]) {
      const reader = new SyslogByteReader(new LineParser({ now: NOW }), undefined);
      const cutter = new ByteLineCutter({ maxLineLength: 120 });
      const lines: unknown[] = [];
      const onLine = (b: Buffer, s: number, e: number) =>
        lines.push(reader.read(b, s, e, lines.length + 1, 'f').line);
      const onText = (t: string) => lines.push(reader.fromText(t, lines.length + 1, 'f').line);
      const buffer = Buffer.alloc(size);
      for (let at = 0; at < bytes.length; at += size) {
        const n = bytes.copy(buffer, 0, at, Math.min(bytes.length, at + size));
        cutter.push(n === size ? buffer : buffer.subarray(0, n), onLine, onText);
      }
      cutter.flush(onLine, onText);
      expect({ lines, truncated: cutter.truncated }).toEqual(expected);
    }
  });

  test('a refilled buffer whose new lines start where old ones did is decoded again', () => {
    // The same offsets in the same Buffer object, different bytes: what a caller that reuses one buffer
    // for every read may hand over. Starts that do not move forward mean a new window.
    const reader = new SyslogByteReader(new LineParser({ now: NOW }), undefined);
    const buffer = Buffer.from('Jan  2 00:00:00 web1 sshd[1]: aaaa\nJan  2 00:00:00 web1 sshd[1]: bbbb\n');
    expect(reader.read(buffer, 0, 34, 1, undefined).line?.message).toBe('aaaa');
    buffer.write('Jan  2 00:00:00 web1 sshd[1]: cccc\nJan  2 00:00:00 web1 sshd[1]: dddd\n');
    expect(reader.read(buffer, 0, 34, 2, undefined).line?.message).toBe('cccc');
    expect(reader.read(buffer, 35, 69, 3, undefined).line?.message).toBe('dddd');
    // Non-ASCII bytes in the window: decoded as UTF-8 line by line, invalid bytes as U+FFFD.
    const mixed = Buffer.concat([
      Buffer.from('Jan  2 00:00:00 web1 sshd[1]: \u00e9t\u00e9\n'),
      Buffer.from([0x4a, 0x61, 0x6e, 0x20, 0x20, 0x32, 0x20, 0x30, 0x30, 0x3a, 0x30, 0x30, 0x3a, 0x30, 0x30]),
      Buffer.from(' web1 sshd[1]: \xff\xfe', 'latin1'),
    ]);
    const firstEnd = mixed.indexOf(10);
    expect(reader.read(mixed, 0, firstEnd, 4, undefined).line?.message).toBe('\u00e9t\u00e9');
    expect(reader.read(mixed, firstEnd + 1, mixed.length, 5, undefined).line?.message).toBe('\ufffd\ufffd');
  });

  test('reads most lines of a repetitive log from their bytes', () => {
    const reader = new SyslogByteReader(new LineParser({ now: NOW }), new Set(['sshd']));
    const fromText = { n: 0 };
    const original = reader.fromText.bind(reader);
    reader.fromText = (...args) => {
      fromText.n++;
      return original(...args);
    };
    const log = Buffer.from(
      Array.from(
        { length: 120 },
        (_, i) =>
          `Jan  2 00:00:${String(i % 60).padStart(2, '0')} web1 ${i % 3 ? 'sshd' : 'CRON'}[${i}]: line ${i}`,
      ).join('\n'),
    );
    let skipped = 0;
    new ByteLineCutter().push(
      log,
      (b, s, e) => {
        const r = reader.read(b, s, e, 0, undefined);
        if (!r.decoded) skipped++;
      },
      () => {},
    );
    // The first line of each header and each minute: 2 headers + 1 new minute.
    expect(fromText.n).toBeLessThanOrEqual(4);
    expect(skipped).toBeGreaterThanOrEqual(38);
  });
});
