import { appendFileSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_LENGTH } from '../src/sources/line-splitter.js';
import { follow, recordingLogger, sleep, tempDir, waitFor } from './file-source-harness.js';

describe('file source: hostile content and unreadable paths', () => {
  it('decodes invalid UTF-8 with replacement and cuts a 1 MB line, counting it; later lines are fine', async () => {
    const log = join(tempDir('bad'), 'bad.log');
    writeFileSync(log, '');
    const logger = recordingLogger();
    const { seen } = await follow([log], { logger });
    appendFileSync(
      log,
      Buffer.concat([Buffer.from('caf'), Buffer.from([0xc3]), Buffer.from(' \xff\xfe ok\n', 'latin1')]),
    );
    appendFileSync(log, `${'x'.repeat(1024 * 1024)}\nafter the long line\n`);
    appendFileSync(log, Buffer.from('split \xe2\x82', 'latin1'));
    await sleep(20);
    appendFileSync(log, Buffer.from('\xac euro\n', 'latin1')); // a character cut across two appends
    await waitFor(() => seen.length === 4);
    expect(seen[0]).toBe('caf\uFFFD \uFFFD\uFFFD ok');
    expect(seen[1]).toBe('x'.repeat(MAX_LINE_LENGTH));
    expect(seen.slice(2)).toEqual(['after the long line', 'split € euro']);
    expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      `${log}: 1 line(s) longer than ${MAX_LINE_LENGTH} characters were cut to that length`,
    ]);
  });

  it('reports a folder in place of the file and a missing file once each, keeps trying, never throws', async () => {
    const dir = tempDir('unreadable');
    const folder = join(dir, 'is-a-folder.log');
    const missing = join(dir, 'missing.log');
    mkdirSync(folder);
    const logger = recordingLogger();
    const { seen, origins } = await follow([folder, missing], { logger, pollInterval: 20 });
    await sleep(150); // several polls: still one message per path
    expect(logger.records.map((r) => `${r.level} ${r.msg}`)).toEqual([
      `warn ${folder} is not a regular file; waiting for a file there`,
      `warn ${missing} does not exist; waiting for it`,
    ]);
    rmdirSync(folder);
    writeFileSync(folder, 'now a file\n');
    writeFileSync(missing, 'created\n');
    await waitFor(() => seen.length === 2);
    expect(seen.sort()).toEqual(['created', 'now a file']); // appeared after start: read from their start
    expect(new Set(origins)).toEqual(new Set([folder, missing]));
    // The folder is removed before the file is written: a poll in between rightly says the path is gone.
    const gone = `warn ${folder} does not exist; waiting for it`;
    expect(
      logger.records
        .slice(2)
        .map((r) => `${r.level} ${r.msg}`)
        .filter((m) => m !== gone)
        .sort(),
    ).toEqual([`info ${folder} is readable now`, `info ${missing} is readable now`]);
  });
});
