import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLUGIN_API_VERSION } from '../src/contract/plugin-api.js';
import { discoverPlugins } from '../src/plugins/discover-plugins.js';
import { pluginSearchPath } from '../src/plugins/plugin-search-path.js';
import { loadPlugin } from '../src/plugins/resolve-plugins.js';
import type { PortcullisError } from '../src/util/errors.js';

/**
 * A plugin package `name` in `<dir>/node_modules`, whose filter id says where it was installed; importing
 * it writes `<dir>/<marker>.imported`, so a test can tell whether its code ran.
 */
function installPlugin(dir: string, name: string, where: string): string {
  const pkg = join(dir, 'node_modules', name);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', keywords: ['portcullis-plugin'], exports: { '.': { default: './index.js' } } }));
  const marker = join(dir, `${where}.imported`);
  writeFileSync(
    join(pkg, 'index.js'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, '');\nexport default { name: ${JSON.stringify(name)}, apiVersion: '${PLUGIN_API_VERSION}', filters: [{ id: '${where}', failregex: ['^x <HOST>$'] }], actions: [] };\n`,
  );
  return pkg;
}

function tempDir(name: string): string {
  return realpathSync(mkdtempSync(join(tmpdir(), `plugin-search-${name}-`)));
}

const rootOnly = process.geteuid?.() === 0 ? undefined : 'not root: cannot chown to another user';
if (rootOnly) console.warn(`skipping the ownership case of plugin-search: ${rootOnly}`);

describe('plugin search path', () => {
  it('looks in the config folder, then where portcullis is installed, then PORTCULLIS_PLUGIN_PATH', async () => {
    const config = tempDir('config');
    const install = join(tempDir('install'), 'node_modules');
    const extra = tempDir('extra');
    mkdirSync(install);
    installPlugin(extra, 'portcullis-filter-demo', 'extra');
    const env = { PORTCULLIS_PLUGIN_PATH: `relative/ignored:${extra}` };
    expect(pluginSearchPath(config, { installDir: install, env }).map((p) => p.why)).toEqual(['config folder', 'where portcullis is installed', 'PORTCULLIS_PLUGIN_PATH']);

    const fromExtra = await loadPlugin('portcullis-filter-demo', config, { installDir: install, env });
    expect(fromExtra.filters.map((f) => f.id)).toEqual(['extra']);
    // A global-style install folder (a node_modules folder itself) comes before the path list...
    installPlugin(join(install, '..'), 'portcullis-filter-demo', 'install');
    expect((await loadPlugin('portcullis-filter-demo', config, { installDir: install, env })).filters[0]?.id).toBe('install');
    // ...and the config's folder before both; discoverPlugins lists the one loadPlugin loads.
    installPlugin(config, 'portcullis-filter-demo', 'config');
    expect((await loadPlugin('portcullis-filter-demo', config, { installDir: install, env })).filters[0]?.id).toBe('config');
    expect(discoverPlugins(config, { installDir: install, env }).find((p) => p.name === 'portcullis-filter-demo')?.path).toBe(join(config, 'node_modules', 'portcullis-filter-demo'));
  });

  it('names every folder it looked in when a plugin is missing, and how to install it', async () => {
    const config = tempDir('missing');
    const install = join(tempDir('global'), 'lib', 'node_modules');
    const extra = tempDir('path');
    const error = (await loadPlugin('@portcullis/filter-nope', config, { installDir: install, env: { PORTCULLIS_PLUGIN_PATH: extra } }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.code).toBe('PLUGIN_NOT_INSTALLED');
    expect(error.message).toContain(`${join(config, 'node_modules')}, `);
    expect(error.message).toContain(`${install}, `);
    expect(error.message).toContain(`${join(extra, 'node_modules')} (PORTCULLIS_PLUGIN_PATH)`);
    expect(error.message).toMatch(/\(config folder\); .*\(where portcullis is installed\); .*\(PORTCULLIS_PLUGIN_PATH\)$/);
    expect(error.hint).toContain('npm install -g @portcullis/filter-nope');
    expect(error.hint).toContain(`cd ${config} && npm install @portcullis/filter-nope`);
    expect(error.hint).toContain('./release/portcullis-filter-nope.tgz');
  });

  it('gives no npm hint for a missing path or a string that is no package name', async () => {
    const config = tempDir('paths');
    const path = (await loadPlugin('./nope.mjs', config).catch((e: unknown) => e)) as PortcullisError;
    expect([path.code, path.message]).toEqual(['PLUGIN_NOT_INSTALLED', `plugin file ${join(config, 'nope.mjs')} does not exist`]);
    expect(path.hint).not.toContain('npm');
    const regex = (await loadPlugin('^Failed .* <HOST>', config).catch((e: unknown) => e)) as PortcullisError;
    expect(regex.message).toBe('plugin "^Failed .* <HOST>" is neither an npm package name nor a path');
    expect(regex.hint).not.toContain('npm install');
  });
});

describe('plugin file permissions (StrictModes)', () => {
  async function refusal(dir: string, name: string): Promise<PortcullisError> {
    const error = (await loadPlugin(name, dir, { installDir: dir, env: {} }).catch((e: unknown) => e)) as PortcullisError;
    expect(error.code, String(error)).toBe('PLUGIN_UNSAFE');
    expect(existsSync(join(dir, 'config.imported')), 'the refused plugin was executed').toBe(false);
    return error;
  }

  it('refuses a world- or group-writable plugin file before running it', async () => {
    const dir = tempDir('writable');
    const pkg = installPlugin(dir, 'portcullis-filter-w', 'config');
    chmodSync(join(pkg, 'index.js'), 0o646);
    expect((await refusal(dir, 'portcullis-filter-w')).message).toContain(`${join(pkg, 'index.js')} is writable by others (mode 0646)`);
    chmodSync(join(pkg, 'index.js'), 0o664);
    expect((await refusal(dir, 'portcullis-filter-w')).message).toContain('is writable by its group (mode 0664)');
  });

  it('refuses a plugin given by path below a writable folder, and loads it once fixed', async () => {
    const dir = tempDir('by-path');
    const lib = join(dir, 'lib');
    mkdirSync(lib);
    writeFileSync(join(lib, 'p.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'config.imported'))}, '');\nexport default { name: 'p', apiVersion: '${PLUGIN_API_VERSION}', filters: [], actions: [] };\n`);
    chmodSync(lib, 0o777);
    const error = await refusal(dir, './lib/p.mjs');
    expect(error.message).toContain(`refusing plugin ./lib/p.mjs: ${lib} is writable by group and others (mode 0777)`);
    expect(error.hint).toContain(lib);
    // A sticky world-writable folder (as /tmp) lets nobody replace another's entry: allowed.
    chmodSync(lib, 0o1777);
    expect((await loadPlugin('./lib/p.mjs', dir)).name).toBe('p');
  });

  it.skipIf(rootOnly)('refuses a plugin owned by another user than root or the daemon user', async () => {
    const dir = tempDir('owner');
    const pkg = installPlugin(dir, 'portcullis-filter-o', 'config');
    chownSync(pkg, 4242, 4242);
    expect((await refusal(dir, 'portcullis-filter-o')).message).toContain(`${pkg} is owned by uid 4242`);
  });
});
