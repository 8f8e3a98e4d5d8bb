import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { byNumber, follow, MapPositions, numbered, tempDir, waitFor } from './file-source-harness.js';

const writer = join(import.meta.dirname, 'fixtures/rotating-writer.mjs');
const run = promisify(execFile);

describe('file source: rotation while a writer writes', () => {
  for (const [mode, positions] of [['rename', false], ['create', false], ['rename', true], ['create', true]] as const) {
    it(`sees every line exactly once across ${mode} rotations${positions ? ', with a position store' : ''}`, async () => {
      const dir = tempDir(`rot-${mode}`);
      const log = join(dir, 'auth.log');
      writeFileSync(log, '');
      const { seen } = await follow([log], { pollInterval: 100, positions: positions ? new MapPositions() : undefined });
      const N = 30_000;
      const { stdout } = await run(process.execPath, [
        writer,
        log,
        String(N),
        '3000',
        mode,
        String(process.pid),
      ]);
      expect(stdout.trim()).toBe(`done ${N} 9`);
      await waitFor(() => seen.length >= N, 90_000, `${N} lines (have ${seen.length})`);
      await new Promise((r) => setTimeout(r, 200)); // anything delivered twice would show up now
      expect(seen.length).toBe(N);
      expect(byNumber(seen)).toEqual(numbered(N));
    }, 120_000);
  }
});
