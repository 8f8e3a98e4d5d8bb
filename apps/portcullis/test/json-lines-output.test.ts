import { Writable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { JsonLinesOutput } from '../src/output/json-lines-output.js';

/** Collects what a JsonLinesOutput writes. */
function sink(): { stream: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(parts).toString('latin1') };
}

describe('JsonLinesOutput', () => {
  test('times are what toISOString gives, across eras, leap days and milliseconds', async () => {
    const { stream, text } = sink();
    const out = new JsonLinesOutput(stream);
    const times = [0, 951_782_400_000, 1_109_338_450_123, 4_107_542_399_999, -86_400_000, 253_402_300_799_999];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      times.push(Math.floor((seed / 2_147_483_648) * 4_102_444_800_000));
      // Repeated times come from the copy of the last one's text.
      if (i % 3 === 0) times.push(times[times.length - 1]!);
    }
    for (const t of times) {
      out.begin(64);
      out.isoTime(t);
      out.ascii('\n');
    }
    out.begin(64);
    out.isoTime(Number.NaN);
    out.ascii('\n');
    await out.flush();
    const lines = text().trimEnd().split('\n');
    expect(lines).toEqual([...times.map((t) => JSON.stringify(new Date(t).toISOString())), 'null']);
  });

  test('strings and integers are valid JSON, ASCII only, whatever the text', async () => {
    const { stream, text } = sink();
    const out = new JsonLinesOutput(stream);
    const values = ['plain', 'quo"te\\back', 'tab\tnew\nline\r\u0000\u001f', 'caf\u00e9 \u2603 \ud83d\ude00 lone\ud800', ''];
    for (const [i, v] of values.entries()) {
      out.begin(16 + 6 * v.length);
      out.ascii('{"n":');
      out.integer(i * 123_457);
      out.ascii(',"v":');
      out.string(v);
      out.ascii('}\n');
    }
    await out.flush();
    const written = text();
    expect(/^[\x00-\x7f]*$/.test(written)).toBe(true);
    expect(written.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(values.map((v, i) => ({ n: i * 123_457, v })));
  });

  test('a record larger than a buffer gets one of its own', async () => {
    const { stream, text } = sink();
    const out = new JsonLinesOutput(stream);
    const big = 'x'.repeat(3 * 1024 * 1024);
    out.begin(10);
    out.ascii('1\n');
    out.begin(8 + big.length);
    out.string(big);
    out.ascii('\n');
    await out.flush();
    const lines = text().split('\n');
    expect(lines[0]).toBe('1');
    expect(JSON.parse(lines[1]!)).toBe(big);
  });
});
