import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * How users meet Portcullis: packed tarballs installed with npm into folders outside the workspace.
 * 1. A plugin scaffolded with create-portcullis-plugin builds and tests green against packed core/testkit.
 * 2. The app, core, the SQLite store, filter-sshd and that plugin are installed into a fresh folder with a
 *    config; test-filter, check-config, plugins and start (dry-run) work from there.
 */
const root = resolve(import.meta.dirname, '..');
const packages = ['packages/core', 'packages/store-sqlite', 'packages/testkit', 'packages/create-portcullis-plugin', 'apps/portcullis', 'plugins/filter-sshd'];
const missingBuild = packages.filter((p) => !existsSync(join(root, p, 'dist')));
const npm = spawnable('npm');
const skip = missingBuild.length ? `packages not built (${missingBuild.join(', ')}): run pnpm build` : !npm ? 'npm not found' : undefined;
if (skip && process.env.CI !== 'true') console.warn(`skipping packaging tests: ${skip}`);

let work: string;
const tarballs: Record<string, string> = {};

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC', npm_config_build_from_source: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`);
  }
}

function spawnable(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(skip !== undefined && process.env.CI !== 'true')('packaging: installed from tarballs, outside the workspace', () => {
  beforeAll(() => {
    if (skip) throw new Error(skip);
    work = mkdtempSync(join(tmpdir(), 'portcullis-pack-'));
    const dest = join(work, 'tarballs');
    mkdirSync(dest);
    for (const p of packages) {
      const before = new Set(readdirSync(dest));
      run('pnpm', ['pack', '--pack-destination', dest], join(root, p));
      const made = readdirSync(dest).find((f) => !before.has(f));
      if (!made) throw new Error(`pnpm pack made nothing in ${p}`);
      tarballs[p] = join(dest, made);
    }
  }, 300_000);

  afterAll(() => {
    if (work && process.env.KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('published manifests carry real version ranges, not workspace protocol', () => {
    for (const p of packages) {
      const listing = run('tar', ['-xzOf', tarballs[p]!, 'package/package.json'], work);
      expect(listing, p).not.toContain('workspace:');
    }
  });

  it('a scaffolded plugin builds and tests green against the packed core and testkit', () => {
    const dir = join(work, 'gameserver');
    run(process.execPath, [join(root, 'packages/create-portcullis-plugin/dist/cli.js'), 'portcullis-filter-gameserver', '--kind', 'filter', '--dir', dir, '--core', `file:${tarballs['packages/core']}`, '--testkit', `file:${tarballs['packages/testkit']}`], work);
    run('npm', ['install', '--no-package-lock'], dir);
    run('npm', ['run', 'build'], dir);
    const out = run('npm', ['test'], dir);
    expect(out).toMatch(/3 passed/);
    const packed = run('npm', ['pack', '--pack-destination', join(work, 'tarballs')], dir).trim().split('\n').pop()!;
    tarballs.gameserver = join(work, 'tarballs', packed);
  }, 400_000);

  it('app, core, store, filter-sshd and the new plugin install with npm and work from the config folder', async () => {
    const site = join(work, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'package.json'), JSON.stringify({ name: 'site', private: true, type: 'module' }));
    const install = ['apps/portcullis', 'packages/core', 'packages/store-sqlite', 'plugins/filter-sshd'].map((p) => tarballs[p]!);
    run('npm', ['install', '--no-package-lock', ...install, tarballs.gameserver!], site, 400_000);
    const bin = join(site, 'node_modules/.bin/portcullis');
    writeFileSync(join(site, 'auth.log'), '');
    writeFileSync(join(site, 'game.log'), '');
    writeFileSync(
      join(site, 'portcullis.config.yaml'),
      [
        'plugins: ["@portcullis/filter-sshd", "portcullis-filter-gameserver"]',
        'database: ./state/portcullis.db',
        'socket: ./state/portcullis.sock',
        'defaults: { maxretry: 2, findtime: 10m, bantime: 2s, ignoreip: [127.0.0.1/8] }',
        'jails:',
        '  sshd: { filter: sshd, logpath: ./auth.log, actions: [{ id: dry-run, options: { file: ./bans.jsonl } }] }',
        '  game: { filter: gameserver, logpath: ./game.log, actions: [{ id: dry-run, options: { file: ./bans.jsonl } }] }',
        '',
      ].join('\n'),
    );

    const check = run(bin, ['check-config'], site);
    expect(check).toContain('jail sshd');
    expect(check).toContain('jail game');

    const plugins = run(bin, ['plugins', '--json'], site);
    const listed = JSON.parse(plugins) as { installed: { name: string; filters: string[] }[]; missing: string[] };
    expect(listed.missing).toEqual([]);
    expect(listed.installed.map((p) => p.name).sort()).toEqual(['@portcullis/filter-sshd', 'portcullis-filter-gameserver']);

    const sample = join(site, 'sample.log');
    writeFileSync(sample, 'Feb 25 13:34:10 srv sshd[123]: Failed password for invalid user admin from 192.0.2.7 port 4242 ssh2\nFeb 25 13:34:11 srv sshd[124]: Accepted publickey for alice from 192.0.2.8 port 4243 ssh2\n');
    const json = run(bin, ['test-filter', 'sshd', sample, '--json'], site).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ lineno: 1, filter: 'sshd', host: '192.0.2.7', user: 'admin' });
    const gameSample = join(site, 'game-sample.log');
    writeFileSync(gameSample, '2024-05-01 12:00:00 [auth] login failed for player "bob" from 2001:db8::7\n2024-05-01 12:00:01 [auth] login ok for player "bob" from 2001:db8::7\n');
    const game = run(bin, ['test-filter', 'gameserver', gameSample, '--json'], site).trim().split('\n');
    expect(game.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { lineno: 1, filter: 'gameserver', host: '2001:db8::7', user: 'bob', time: '2024-05-01T12:00:00.000Z' },
    ]);

    // start: the daemon with the dry-run action bans from both jails
    const daemon = spawn(bin, ['start', '--config', join(site, 'portcullis.config.yaml'), '--log-format', 'json'], { cwd: site, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    let output = '';
    daemon.stdout.on('data', (d: Buffer) => (output += d));
    daemon.stderr.on('data', (d: Buffer) => (output += d));
    try {
      await waitFor(() => output.includes('reading') || output.includes('started'), 20_000, () => output);
      const now = new Date();
      const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
      for (let i = 0; i < 2; i++) {
        appendFileSync(join(site, 'auth.log'), `${now.toISOString()} srv sshd[9${i}]: Failed password for root from 198.51.100.9 port 5${i} ssh2\n`);
        appendFileSync(join(site, 'game.log'), `${stamp} [auth] login failed for player "p${i}" from 2001:db8::99\n`);
      }
      const bans = join(site, 'bans.jsonl');
      const events = () => (existsSync(bans) ? readFileSync(bans, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string; jail: string }) : []);
      await waitFor(() => events().filter((e) => e.event === 'ban').length === 2, 30_000, () => `${output}\n${existsSync(bans) ? readFileSync(bans, 'utf8') : ''}`);
      expect(events().filter((e) => e.event === 'ban').map((e) => `${e.jail} ${e.ip}`).sort()).toEqual(['game 2001:db8::/64', 'sshd 198.51.100.9']);
      await waitFor(() => events().filter((e) => e.event === 'unban').length === 2, 30_000, () => output);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
    }
  }, 600_000);
});

async function waitFor(cond: () => boolean, ms: number, context: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms; context:\n${context()}`);
}
