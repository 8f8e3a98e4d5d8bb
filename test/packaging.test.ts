import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * How users meet Portcullis: the tarballs of `pnpm release:pack`, installed with npm outside the workspace.
 * 1. `pnpm install` on a copy of the clone prints no warning, and `portcullis` is linked before the build.
 * 2. The plugin scaffolder, run from an empty folder outside the repository exactly as docs/plugin-authoring.md
 *    says, gives a plugin whose own tests pass against the packed core and testkit.
 * 3. The README's "Install on a server" block, word for word, as root (npm's global prefix and /etc diverted
 *    into temporary folders, systemctl replaced by `systemd-analyze verify`); then the globally installed
 *    portcullis checks and starts a config in another folder, from yet another folder, and bans.
 * 4. An /etc/portcullis-style folder: the tarballs installed with npm beside the config; run from elsewhere.
 */
const root = resolve(import.meta.dirname, '..');
const packages = ['packages/core', 'packages/store-sqlite', 'packages/testkit', 'packages/create-portcullis-plugin', 'apps/portcullis', 'plugins/filter-sshd', 'plugins/action-nftables'];
const missingBuild = packages.filter((p) => !existsSync(join(root, p, 'dist')));
const npm = spawnable('npm');
const skip = missingBuild.length ? `packages not built (${missingBuild.join(', ')}): run pnpm build` : !npm ? 'npm not found' : undefined;
if (skip && process.env.CI !== 'true') console.warn(`skipping packaging tests: ${skip}`);
const asRoot = process.geteuid?.() === 0 && spawnable('unshare');
if (!asRoot && process.env.CI !== 'true') console.warn('skipping the README install test: it needs root and unshare (a private mount namespace for /etc)');

let work: string;
/** A stand-in for the clone on the server: `release/` from `pnpm release:pack` and the repository's `dist/`. */
let clone: string;
let release: string;
const npmEnv: Record<string, string> = { TZ: 'UTC', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
/** The environment of a user's shell: without the npm_config_* settings pnpm passes to the test run. */
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)));

function run(cmd: string, args: string[], cwd: string, timeout = 300_000, env: NodeJS.ProcessEnv = {}): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], env: { ...userEnv, ...npmEnv, ...env } });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n${e.message}`);
  }
}

/** stdout and stderr of a command that must succeed, together. */
function runAll(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 600_000, env: { ...userEnv, ...npmEnv, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status} in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  // Nested tools colour their output (FORCE_COLOR is inherited): cut the codes before matching.
  return `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
}

function spawnable(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * better-sqlite3 compiles itself from source when its prebuilt binary cannot be downloaded (as here): two
 * minutes of C++ per install. The workspace already compiled the same version for this Node, so it is offered to
 * prebuild-install as a local prebuild (`npm_config_better_sqlite3_local_prebuilds`, looked up by exact version
 * and ABI): what the installs get is the binary they would have compiled, and a version the registry resolves
 * differently simply compiles as before.
 */
function offerLocalPrebuild(dir: string): void {
  const pkgDir = dirname(createRequire(join(root, 'packages/store-sqlite/package.json')).resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const binary = join(pkgDir, 'build/Release/better_sqlite3.node');
  if (!existsSync(binary)) return;
  const stage = join(dir, 'stage');
  mkdirSync(join(stage, 'build/Release'), { recursive: true });
  cpSync(binary, join(stage, 'build/Release/better_sqlite3.node'));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  run('tar', ['-czf', join(dir, name), '-C', stage, 'build/Release/better_sqlite3.node'], dir);
  Object.assign(npmEnv, { npm_config_better_sqlite3_local_prebuilds: dir });
}

/** The first ```sh block after `heading` in a Markdown file, as the lines a user types. */
function shellBlock(file: string, heading: string, nth = 0): string {
  const text = readFileSync(join(root, file), 'utf8');
  const from = text.indexOf(heading);
  if (from < 0) throw new Error(`${file} has no "${heading}"`);
  const blocks = [...text.slice(from).matchAll(/^```sh\n([\s\S]*?)^```$/gm)];
  const block = blocks[nth]?.[1];
  if (!block) throw new Error(`${file}: no sh block #${nth} after "${heading}"`);
  return block;
}

describe.skipIf(skip !== undefined && process.env.CI !== 'true')('packaging: installed from release tarballs, outside the workspace', () => {
  beforeAll(() => {
    if (skip) throw new Error(skip);
    work = realpathSync(mkdtempSync(join(tmpdir(), 'portcullis-pack-')));
    clone = join(work, 'clone');
    release = join(clone, 'release');
    mkdirSync(clone);
    run('pnpm', ['run', 'release:pack', '--out', release], root, 600_000);
    offerLocalPrebuild(join(work, 'prebuilds'));
    cpSync(join(root, 'dist'), join(clone, 'dist'), { recursive: true });
  }, 600_000);

  afterAll(() => {
    if (work && process.env.KEEP_TMP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('release:pack writes every publishable package, with real version ranges, not the workspace protocol', () => {
    for (const p of packages) {
      const name = (JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')) as { name: string }).name;
      const tarball = join(release, `${name.replace(/^@/, '').replace('/', '-')}.tgz`);
      const manifest = run('tar', ['-xzOf', tarball, 'package/package.json'], work);
      expect(manifest, p).not.toContain('workspace:');
      expect(JSON.parse(manifest).name).toBe(name);
    }
  });

  it('pnpm install on a copy of the clone prints no warning, and links a portcullis that asks for a build', () => {
    const copy = join(work, 'fresh');
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) if (existsSync(join(root, f))) cpSync(join(root, f), join(copy, f), { recursive: true });
    const out = runAll('pnpm', ['install', '--frozen-lockfile', '--offline'], copy, { CI: 'true' });
    expect(out).not.toMatch(/WARN|Ignored build scripts|approve-builds/);
    const bin = spawnSync(join(copy, 'node_modules/.bin/portcullis'), ['--version'], { encoding: 'utf8' });
    expect([bin.status, bin.stderr.trim()]).toEqual([1, 'portcullis: dist/cli.js is missing: run `pnpm build` in the clone first']);
  }, 300_000);

  it('the scaffolder works in an empty folder outside the repository, following docs/plugin-authoring.md word for word', () => {
    const empty = join(work, 'author');
    mkdirSync(empty);
    const script = shellBlock('docs/plugin-authoring.md', 'Until then, take');
    expect(script).toContain('--release "$PORTCULLIS/release"');
    const out = runAll('bash', ['-euo', 'pipefail', '-c', script], empty, { PORTCULLIS: clone });
    expect(out).toMatch(/Tests\s+3 passed/);
    const plugin = join(empty, 'portcullis-filter-gameserver');
    const packed = run('npm', ['pack', '--pack-destination', work], plugin).trim().split('\n').pop()!;
    expect(packed).toBe('portcullis-filter-gameserver-0.1.0.tgz');
  }, 900_000);

  it.skipIf(!asRoot && process.env.CI !== 'true')("README's \"Install on a server\", word for word: global install, /etc/portcullis, the unit; then start bans from another folder", async () => {
    const script = shellBlock('README.md', '## Install on a server');
    const prefix = join(work, 'global');
    const fakeBin = join(work, 'fake-bin');
    const etc = join(work, 'etc');
    mkdirSync(fakeBin);
    for (const d of ['upper', 'work']) mkdirSync(join(etc, d), { recursive: true });
    // No systemd runs here: systemctl checks the installed unit with systemd-analyze and records what it was asked.
    writeFileSync(join(fakeBin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${work}/systemctl.log\nif [ "$1" = enable ]; then exec systemd-analyze verify /etc/systemd/system/portcullis.service; fi\n`, { mode: 0o755 });
    // /etc gets an overlay in a private mount namespace: the README writes there, the host's /etc stays as it is.
    const inNamespace = [
      'set -euo pipefail',
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${etc}/upper,workdir=${etc}/work /etc`,
      `cd ${clone}`,
      script,
    ].join('\n');
    const out = runAll('unshare', ['-m', '--propagation', 'private', 'bash', '-c', inNamespace], clone, {
      npm_config_prefix: prefix,
      PATH: `${fakeBin}:${prefix}/bin:${process.env.PATH}`,
    });
    expect(out).toMatch(/config: \/etc\/portcullis\/portcullis.config.yaml — OK/);
    expect(readFileSync(join(work, 'systemctl.log'), 'utf8')).toBe('daemon-reload\nenable --now portcullis\n');
    expect(readFileSync(join(etc, 'upper/portcullis/portcullis.config.yaml'), 'utf8')).toBe(readFileSync(join(root, 'dist/portcullis.config.yaml'), 'utf8'));
    expect(readFileSync(join(etc, 'upper/systemd/system/portcullis.service'), 'utf8')).toBe(readFileSync(join(root, 'dist/portcullis.service'), 'utf8'));

    // The embedded defaults, from a folder that has nothing installed, see the global plugins.
    const bin = join(prefix, 'bin/portcullis');
    const nowhere = join(work, 'nowhere');
    mkdirSync(nowhere);
    expect(run(bin, ['check-config'], nowhere)).toMatch(/embedded defaults[^\n]*OK[\s\S]*plugins: @portcullis\/filter-sshd, @portcullis\/action-nftables/);
    // A config in another folder, started from a third: a ban.
    await startAndBan(bin, join(work, 'conf-global'), nowhere);
  }, 1_200_000);

  it('an /etc/portcullis-style folder: the tarballs and a scaffolded plugin installed beside the config, run from elsewhere', async () => {
    const site = join(work, 'site');
    mkdirSync(site);
    const tarballs = ['portcullis', 'portcullis-core', 'portcullis-store-sqlite', 'portcullis-filter-sshd'].map((n) => join(release, `${n}.tgz`));
    const gameserver = join(work, 'portcullis-filter-gameserver-0.1.0.tgz');
    run('npm', ['install', '--no-package-lock', ...tarballs, ...(existsSync(gameserver) ? [gameserver] : [])], site, 600_000);
    const bin = join(site, 'node_modules/.bin/portcullis');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const config = join(site, 'portcullis.config.yaml');
    const extra = existsSync(gameserver) ? ['game'] : [];
    await startAndBan(bin, site, elsewhere, extra);

    const plugins = JSON.parse(run(bin, ['plugins', '--config', config, '--json'], elsewhere)) as { installed: { name: string }[]; missing: string[] };
    expect(plugins.missing).toEqual([]);
    expect(plugins.installed.map((p) => p.name)).toEqual(expect.arrayContaining(['@portcullis/filter-sshd', ...(extra.length ? ['portcullis-filter-gameserver'] : [])]));
    const sample = join(site, 'sample.log');
    writeFileSync(sample, 'Feb 25 13:34:10 srv sshd[123]: Failed password for invalid user admin from 192.0.2.7 port 4242 ssh2\nFeb 25 13:34:11 srv sshd[124]: Accepted publickey for alice from 192.0.2.8 port 4243 ssh2\n');
    const json = run(bin, ['test-filter', 'sshd', sample, '--json', '--config', config], elsewhere).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ lineno: 1, filter: 'sshd', host: '192.0.2.7', user: 'admin' });
    // Read by two threads: the worker finds the installed filter through the same config.
    const summary = run(bin, ['test-filter', 'sshd', sample, '--threads', '2', '--config', config], elsewhere);
    expect(summary).toMatch(/^failures: +1$/m);
    expect(summary).toMatch(/^threads: +2$/m);
  }, 900_000);
});

/**
 * Write a dry-run config in `dir` (jail sshd, and `game` when the scaffolded plugin is installed), check it and
 * start the daemon from `cwd` with `--config`, append failures, and wait for the bans and their expiry.
 */
async function startAndBan(bin: string, dir: string, cwd: string, extra: string[] = []): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'portcullis.config.yaml');
  writeFileSync(join(dir, 'auth.log'), '');
  writeFileSync(join(dir, 'game.log'), '');
  writeFileSync(
    config,
    [
      `plugins: ["@portcullis/filter-sshd"${extra.length ? ', "portcullis-filter-gameserver"' : ''}]`,
      'database: ./state/portcullis.db',
      'socket: ./state/portcullis.sock',
      'defaults: { maxretry: 2, findtime: 10m, bantime: 2s, ignoreip: [127.0.0.1/8] }',
      'jails:',
      '  sshd: { filter: sshd, logpath: ./auth.log, actions: [{ id: dry-run, options: { file: ./bans.jsonl } }] }',
      ...(extra.length ? ['  game: { filter: gameserver, logpath: ./game.log, actions: [{ id: dry-run, options: { file: ./bans.jsonl } }] }'] : []),
      '',
    ].join('\n'),
  );
  const check = run(bin, ['check-config', '--config', config], cwd);
  expect(check).toContain('jail sshd');
  const daemon = spawn(bin, ['start', '--config', config, '--log-format', 'json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
  let output = '';
  daemon.stdout.on('data', (d: Buffer) => (output += d));
  daemon.stderr.on('data', (d: Buffer) => (output += d));
  try {
    await waitFor(() => / started/.test(output), 30_000, () => output);
    const now = new Date();
    const stamp = now.toISOString().slice(0, 19).replace('T', ' ');
    for (let i = 0; i < 2; i++) {
      appendFileSync(join(dir, 'auth.log'), `${now.toISOString()} srv sshd[9${i}]: Failed password for root from 198.51.100.9 port 5${i} ssh2\n`);
      if (extra.length) appendFileSync(join(dir, 'game.log'), `${stamp} [auth] login failed for player "p${i}" from 2001:db8::99\n`);
    }
    const bans = join(dir, 'bans.jsonl');
    const events = () => (existsSync(bans) ? readFileSync(bans, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string; ip: string; jail: string }) : []);
    const expected = ['sshd 198.51.100.9', ...(extra.length ? ['game 2001:db8::/64'] : [])].sort();
    await waitFor(() => events().filter((e) => e.event === 'ban').length === expected.length, 20_000, () => `${output}\n${existsSync(bans) ? readFileSync(bans, 'utf8') : ''}`);
    expect(events().filter((e) => e.event === 'ban').map((e) => `${e.jail} ${e.ip}`).sort()).toEqual(expected);
    await waitFor(() => events().filter((e) => e.event === 'unban').length === expected.length, 20_000, () => output);
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
}

async function waitFor(cond: () => boolean, ms: number, context: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms; context:\n${context()}`);
}
