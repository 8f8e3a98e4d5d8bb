import { spawnSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath, missingBuild } from './daemon-process.js';

/**
 * A third-party filter whose rule has a kind no one handles (a typo: `notes`) or an empty literal is refused
 * by `check-config` and by `start` alike, one line each with the jail's path, before anything runs; with the
 * rule fixed, both accept it.
 */
const skip = missingBuild([]);
if (skip && process.env.CI !== 'true') console.warn(`skipping filter rule tests: ${skip}`);

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pcl-rule-kind-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function plugin(rules: unknown[]): void {
  const filter = { id: 'mine', failregex: rules };
  writeFileSync(join(dir, 'mine.mjs'), `export default ${JSON.stringify({ name: 'mine', apiVersion: '1.0.0', filters: [filter], actions: [] })};\n`, { mode: 0o644 });
}

const run = (command: string) => spawnSync(process.execPath, [cliPath, command, '--config', join(dir, 'portcullis.config.yaml')], { encoding: 'utf8', timeout: 60_000 });

describe.skipIf(skip !== undefined && process.env.CI !== 'true')('filter rules, from the CLI', () => {
  it('check-config and start refuse an unknown rule kind and an empty literal, with the jail path; accept them fixed', () => {
    writeFileSync(join(dir, 'auth.log'), '');
    writeFileSync(
      join(dir, 'portcullis.config.yaml'),
      'plugins: ["./mine.mjs"]\ndatabase: ./state.db\nsocket: ./portcullis.sock\njails:\n  web:\n    filter: mine\n    logpath: ./auth.log\n    actions: []\n',
    );
    for (const [rule, problem] of [
      [{ pattern: '^Failed from <HOST>$', kind: 'notes' }, 'jails.web.filter: filter "mine", failregex #0: kind "notes" is not one of fail, note, pending, fallback, success'],
      [{ pattern: '^Failed from <HOST>$', literals: ['Failed', ''] }, 'jails.web.filter: filter "mine", failregex #0: a literal must be a non-empty string'],
    ] as const) {
      plugin([rule]);
      for (const command of ['check-config', 'start']) {
        const r = run(command);
        expect(r.status, `${command}: ${r.stdout}${r.stderr}`).toBe(2);
        expect(r.stderr, command).toContain(problem);
      }
    }
    plugin([{ pattern: '^Failed from <HOST>$', kind: 'note', literals: ['Failed'] }]);
    const ok = run('check-config');
    expect(ok.status, ok.stderr).toBe(0);
  });
});
