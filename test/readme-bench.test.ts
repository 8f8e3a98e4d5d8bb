import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './daemon-process.js';

// The README's resource table is written from the committed bench results (`pnpm bench:readme`): a figure
// edited by hand, or results committed without rewriting the table, fails here.
describe("README's resource table", () => {
  it('is the one bench/results*.json give', () => {
    const check = spawnSync(process.execPath, [join(repoRoot, 'bench/readme.mjs'), '--check'], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('shows the committed sshd figures, not older ones', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const results = JSON.parse(readFileSync(join(repoRoot, 'bench/results.json'), 'utf8')) as { linesPerSecond: number };
    expect(readme).toContain(`normal mode ${(results.linesPerSecond / 1e6).toFixed(2)} M lines/s`);
  });
});
