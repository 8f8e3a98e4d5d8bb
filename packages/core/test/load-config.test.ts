import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PortcullisError } from '../src/util/errors.js';
import { loadConfig, parseConfig } from '../src/compose/load-config.js';
import { PLUGIN_API_VERSION } from '../src/contract/plugin-api.js';
import { findProgram } from '../src/util/find-program.js';

const fixtures = join(import.meta.dirname, 'fixtures/config');
const repo = join(import.meta.dirname, '../../..');

function problemsOf(error: unknown): readonly string[] {
  expect(error).toBeInstanceOf(PortcullisError);
  return (error as PortcullisError).problems;
}

describe('loadConfig', () => {
  it('loads YAML, applies defaults per jail and validates action options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    writeFileSync(
      join(dir, 'portcullis.config.yaml'),
      `plugins: ["${join(fixtures, 'test-plugin.mjs')}"]
defaults: { bantime: 1h, findtime: 10m, maxretry: 3, ignoreip: ["10.0.0.0/8", "2001:db8::/32"] }
jails:
  demo:
    filter: { id: demo, options: { mode: aggressive } }
    logpath: ./demo.log
    maxretry: 7
    actions: [dry-run, { id: dry-run, options: { file: bans.jsonl } }]
`,
    );
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.file).toBe(join(dir, 'portcullis.config.yaml'));
    const [jail] = loaded.jails;
    expect(jail).toMatchObject({
      name: 'demo',
      bantime: 3_600_000,
      findtime: 600_000,
      maxretry: 7,
      ignoreip: ['10.0.0.0/8', '2001:db8::/32'],
      logpath: [join(dir, 'demo.log')],
      filterOptions: { mode: 'aggressive' },
    });
    expect(jail!.actions.map((a) => a.options)).toEqual([{ fsync: false, restoreEvents: false }, { file: 'bans.jsonl', fsync: false, restoreEvents: false }]);
    expect(loaded.config.database).toMatch(/portcullis\.db$/);
  });

  it('reports every problem on its own line with its path, without a stack trace', async () => {
    const error = await parseConfig(
      {
        plugins: [join(fixtures, 'test-plugin.mjs')],
        defaults: { bantime: 'ten minutes' },
        jails: {
          sshd: { filter: 'demo', maxretry: 0, logpath: 'x', bogus: 1 },
          web: { filter: 'nope', logpath: 'y', actions: [{ id: 'dry-run', options: { file: 3 } }, 'teleport'] },
          opts: { filter: { id: 'demo', options: { mode: 'paranoid' } }, logpath: 'z' },
        },
      },
      { dir: fixtures },
    ).catch((e: unknown) => e);
    const problems = problemsOf(error);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^defaults\.bantime: expected a duration/),
        'jails.sshd.maxretry: expected a positive integer',
        expect.stringMatching(/^jails\.sshd: unknown key "bogus"/),
      ]),
    );
    // Composition errors are collected the same way.
    const second = await parseConfig(
      {
        plugins: [join(fixtures, 'test-plugin.mjs')],
        jails: {
          web: { filter: 'nope', logpath: 'y', actions: [{ id: 'dry-run', options: { file: 3 } }, 'teleport'] },
          opts: { filter: { id: 'demo', options: { mode: 'paranoid' } }, logpath: 'z' },
        },
      },
      { dir: fixtures },
    ).catch((e: unknown) => e);
    expect(problemsOf(second)).toEqual([
      'jails.web.filter: unknown filter "nope"; known filters: demo',
      expect.stringMatching(/^jails\.web\.actions\[0\]\.options\.file: /),
      'jails.web.actions[1]: unknown action "teleport"; known actions: dry-run',
      expect.stringMatching(/^jails\.opts\.filter\.options: .*mode.*paranoid.*normal, aggressive/),
    ]);
    expect((second as Error).message).toContain('invalid configuration');
  });

  it('names the package to install when a plugin is missing', async () => {
    const error = (await parseConfig({ plugins: ['@portcullis/filter-nonexistent'], jails: {} }, { dir: tmpdir() }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('PLUGIN_NOT_INSTALLED');
    expect(error.hint).toContain('npm install -g @portcullis/filter-nonexistent');
  });

  it('refuses a plugin built for another plugin API major, naming both versions', async () => {
    const error = (await parseConfig({ plugins: [join(fixtures, 'old-plugin.mjs')], jails: {} }, { dir: fixtures }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('PLUGIN_API_MISMATCH');
    expect(error.message).toContain('0.3.0');
    expect(error.message).toContain(PLUGIN_API_VERSION);
  });

  it('falls back to the embedded defaults when there is no config file', async () => {
    // The folder holds the two plugins the defaults name, so they resolve from it whatever NODE_PATH says.
    const dir = mkdtempSync(join(tmpdir(), 'nocfg-'));
    mkdirSync(join(dir, 'node_modules/@portcullis'), { recursive: true });
    for (const name of ['filter-sshd', 'action-nftables']) symlinkSync(join(repo, 'plugins', name), join(dir, 'node_modules/@portcullis', name));
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.embedded).toBe(true);
    expect(loaded.file).toBeUndefined();
    expect(loaded.jails.map((j) => [j.name, j.filter.id, j.logpath])).toEqual([['sshd', 'sshd', ['/var/log/auth.log']]]);
    // nftables when it can run (root with nft on the PATH), else ban events written by the dry-run action.
    const firewall = process.getuid?.() === 0 && findProgram('nft') !== undefined;
    expect(loaded.jails[0]!.actions.map((a) => a.id)).toEqual([firewall ? 'nftables' : 'dry-run']);
  });

  it('a copy of the sshd filter in the config folder without an entry point is passed over for the installed one', async () => {
    // Plugins are looked for in the config's folder, then where Portcullis is installed (docs: Install on a server).
    const dir = mkdtempSync(join(tmpdir(), 'nocfg-'));
    mkdirSync(join(dir, 'node_modules/@portcullis/filter-sshd'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/@portcullis/filter-sshd/package.json'), '{"name":"@portcullis/filter-sshd","exports":{}}');
    const loaded = await loadConfig({ cwd: dir });
    expect(loaded.jails.map((j) => j.filter.id)).toEqual(['sshd']);
  });

  it('says which file does not exist', async () => {
    const error = (await loadConfig({ configPath: '/nonexistent/portcullis.yaml' }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('CONFIG_NOT_FOUND');
  });
});
