import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LINE_SLICE } from '../src/contract/limits.js';
import { MAX_LINE_LENGTH } from '../src/sources/line-splitter.js';
import type { SourceLine } from '../src/contract/log-source.js';
import { createStdinSource } from '../src/sources/stdin-source.js';
import { recordingLogger } from './file-source-harness.js';

function collect() {
  const seen: string[] = [];
  const batches: string[] = [];
  const sizes: number[] = [];
  const sink = (lines: readonly SourceLine[], origin: string): void => {
    seen.push(...lines.map((l) => l.text));
    batches.push(origin);
    sizes.push(lines.length);
  };
  return { seen, batches, sizes, sink };
}

describe('stdin source', () => {
  it('reads a real pipe from another process, in batches, and flushes the last line at the end', async () => {
    // A child writes 20,000 lines and a final line without newline into the pipe we read.
    const child = spawn(
      process.execPath,
      ['-e', "let s='';for(let i=1;i<=20000;i++)s+='line '+i+'\\n';process.stdout.write(s+'last')"],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const logger = recordingLogger();
    const source = createStdinSource({ logger, stream: child.stdout });
    const { seen, batches, sizes, sink } = collect();
    const ended = new Promise((r) => child.stdout.once('end', r));
    await source.start(sink);
    await ended;
    await source.stop();
    expect(seen).toHaveLength(20_001);
    expect(seen[0]).toBe('line 1');
    expect(seen[19_999]).toBe('line 20000');
    expect(seen[20_000]).toBe('last');
    expect(batches.length).toBeLessThan(200); // chunks, not a call per line
    // …cut into slices, so no line object outlives a young-generation GC (see LINE_SLICE).
    expect(Math.max(...sizes)).toBeLessThanOrEqual(LINE_SLICE);
    expect(new Set(batches)).toEqual(new Set(['stdin']));
    expect(logger.records.map((r) => r.msg)).toEqual(['stdin closed']);
  });

  it('joins characters and lines cut across chunks, replaces invalid UTF-8, cuts over-long lines', async () => {
    const stream = new PassThrough();
    const logger = recordingLogger();
    const source = createStdinSource({ logger, stream });
    const { seen, sink } = collect();
    await source.start(sink);
    stream.write(Buffer.from([0x61, 0xe2, 0x82]));
    stream.write(Buffer.from([0xac, 0x0a, 0xff, 0x62, 0x0d, 0x0a]));
    stream.write(`${'y'.repeat(MAX_LINE_LENGTH + 10)}\nok\n`);
    stream.end();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['a€', '\uFFFDb', 'y'.repeat(MAX_LINE_LENGTH), 'ok']);
    expect(logger.records.map((r) => r.msg)).toEqual(['stdin: 1 over-long line(s) were cut', 'stdin closed']);
    await source.stop();
  });

  it('delivers nothing after stop', async () => {
    const stream = new PassThrough();
    const source = createStdinSource({ logger: recordingLogger(), stream });
    const { seen, sink } = collect();
    await source.start(sink);
    stream.write('one\n');
    await new Promise((r) => setImmediate(r));
    await source.stop();
    stream.write('two\n');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['one']);
  });
});
