import { isPackageName } from './package-name.js';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One place plugins are looked up from, and why it is searched. */
export interface PluginPlace {
  /** A folder: Node's lookup starts here (`<dir>/node_modules`, then each parent's; a `node_modules` folder itself). */
  readonly dir: string;
  readonly why: 'config folder' | 'where portcullis is installed' | 'PORTCULLIS_PLUGIN_PATH';
}

/** Where plugins come from, in order; the first place that has a package wins. */
export interface PluginSearchOptions {
  /** Environment holding `PORTCULLIS_PLUGIN_PATH` (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Where Portcullis is installed (default: the `node_modules` folder that holds this core). */
  readonly installDir?: string | undefined;
}

/**
 * The places a plugin name is looked up from: the config's folder (as Node resolves from a file there),
 * then where Portcullis itself is installed — for `npm install -g portcullis @portcullis/filter-sshd`
 * that is the global `node_modules`, for `/etc/portcullis` with `npm install` there it is that folder's
 * `node_modules` — then each folder of `PORTCULLIS_PLUGIN_PATH` (colon-separated, like `NODE_PATH`).
 */
export function pluginSearchPath(configDir: string, options: PluginSearchOptions = {}): PluginPlace[] {
  const places: PluginPlace[] = [{ dir: configDir, why: 'config folder' }];
  places.push({ dir: options.installDir ?? portcullisInstallDir(), why: 'where portcullis is installed' });
  const extra = (options.env ?? process.env).PORTCULLIS_PLUGIN_PATH ?? '';
  for (const dir of extra.split(delimiter)) if (dir && isAbsolute(dir)) places.push({ dir, why: 'PORTCULLIS_PLUGIN_PATH' });
  return places;
}

/** The `node_modules` folders Node searches from each place, in order, each once. */
export function nodeModulesFolders(places: readonly PluginPlace[]): { dir: string; why: PluginPlace['why'] }[] {
  const seen = new Set<string>();
  const out: { dir: string; why: PluginPlace['why'] }[] = [];
  for (const place of places) {
    for (const dir of createRequire(join(place.dir, 'noop.js')).resolve.paths('x') ?? []) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      out.push({ dir, why: place.why });
    }
  }
  return out;
}

/** Resolve a package name to its entry file from the first place that has it; undefined when none does. */
export function findPluginEntry(name: string, places: readonly PluginPlace[]): string | undefined {
  for (const place of places) {
    try {
      return createRequire(join(place.dir, 'noop.js')).resolve(name);
    } catch {
      // not installed there: try the next place
    }
  }
  return undefined;
}

let installDir: string | undefined;

/**
 * The folder this copy of core was installed into: the nearest `node_modules` above it (the CLI's own
 * `node_modules`, a global `lib/node_modules`, or `/etc/portcullis/node_modules`), else — in a clone of
 * the repository — core's package folder, from which Node finds the workspace's `node_modules`.
 */
export function portcullisInstallDir(): string {
  if (installDir) return installDir;
  const pkg = realpathSync(fileURLToPath(new URL('../..', import.meta.url)));
  for (let d = pkg; ; d = dirname(d)) {
    if (basename(d) === 'node_modules') return (installDir = d);
    if (dirname(d) === d) return (installDir = pkg);
  }
}

export { isPackageName };

/**
 * How to install a missing plugin, true before and after the packages are on the registry: beside a
 * global portcullis or in the config's folder, and for `@portcullis/*` the tarball `pnpm release:pack`
 * writes in a clone.
 */
export function installHint(name: string, configDir: string): string {
  const lines = [`install it beside portcullis (npm install -g ${name}) or in the config's folder (cd ${configDir} && npm install ${name})`];
  if (name.startsWith('@portcullis/') || name === 'portcullis') {
    lines.push(`from a clone of the repository: pnpm release:pack, then the same command with ./release/${name.replace(/^@/, '').replace('/', '-')}.tgz`);
  }
  return lines.join('\n        ');
}
