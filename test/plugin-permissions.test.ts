import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, missingBuild } from './daemon-process.js';

/**
 * A plugin others could have changed is never run: `check-config` and `start` both refuse it, by name and
 * path, before importing it (the plugin would write a marker file if it ran).
 */
const skip = missingBuild([]);
if (skip && process.env.CI !== 'true') console.warn(`skipping plugin permission tests: ${skip}`);

describe.skipIf(skip !== undefined && process.env.CI !== 'true')('plugin permissions, from the CLI', () => {
  it('check-config and start refuse a world-writable plugin without running it, and load it once fixed', () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'plugin-perms-')));
    const marker = join(dir, 'ran');
    const plugin = join(dir, 'evil.mjs');
    writeFileSync(plugin, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default { name: 'evil', apiVersion: '1.0.0', filters: [], actions: [] };\n`);
    chmodSync(plugin, 0o666);
    const config = join(dir, 'portcullis.config.yaml');
    writeFileSync(config, 'plugins: ["./evil.mjs"]\ndatabase: ./state.db\nsocket: ./portcullis.sock\njails: {}\n');
    for (const command of ['check-config', 'start']) {
      const r = spawnSync(process.execPath, [cliPath, command, '--config', config], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${command}: ${r.stdout}${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`refusing plugin ./evil.mjs: ${plugin} is writable by group and others (mode 0666)`);
      expect(existsSync(marker), `${command} ran the plugin`).toBe(false);
    }
    chmodSync(plugin, 0o644);
    const ok = spawnSync(process.execPath, [cliPath, 'check-config', '--config', config], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });
});
