import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ActionDefinition } from '../contract/action-definition.js';
import { dryRunAction } from '../actions/dry-run-action.js';
import { PortcullisError } from '../util/errors.js';
import type { FilterDefinition } from '../contract/filter-definition.js';
import type { FleetDefinition } from '../contract/fleet.js';
import { PLUGIN_API_VERSION, type Plugin } from '../contract/plugin-api.js';
import { checkPluginFilePermissions } from './plugin-file-permissions.js';
import { type PluginSearchOptions, findPluginEntry, installHint, isPackageName, nodeModulesFolders, pluginSearchPath } from './plugin-search-path.js';

/** Filters and actions of the loaded plugins, by id, plus which package gave each. */
export interface PluginRegistry {
  readonly plugins: readonly Plugin[];
  readonly filters: ReadonlyMap<string, { definition: FilterDefinition; plugin: string }>;
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per action
  readonly actions: ReadonlyMap<string, { definition: ActionDefinition<any>; plugin: string }>;
  /** Fleet backends by id (`redis`). */
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per backend
  readonly fleets: ReadonlyMap<string, { definition: FleetDefinition<any>; plugin: string }>;
}

/**
 * Load plugins by package name (or path) as {@link loadPlugin} does from `dir`, the config file's
 * folder; check their shape and plugin API version; index their ids. The built-in `dry-run` action is
 * always present.
 */
export async function resolvePlugins(names: readonly string[], dir: string, options: PluginSearchOptions = {}): Promise<PluginRegistry> {
  const plugins: Plugin[] = [];
  for (const name of names) plugins.push(await loadPlugin(name, dir, options));
  return indexPlugins(plugins);
}

/** Build a registry from plugin objects already in hand (tests, embedding). */
export function indexPlugins(plugins: readonly Plugin[]): PluginRegistry {
  const filters = new Map<string, { definition: FilterDefinition; plugin: string }>();
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per action
  const actions = new Map<string, { definition: ActionDefinition<any>; plugin: string }>();
  actions.set(dryRunAction.id, { definition: dryRunAction, plugin: '@portcullis/core' });
  for (const plugin of plugins) {
    for (const f of plugin.filters) {
      const prev = filters.get(f.id);
      if (prev) throw duplicate('filter', f.id, prev.plugin, plugin.name);
      filters.set(f.id, { definition: f, plugin: plugin.name });
    }
    for (const a of plugin.actions) {
      const prev = actions.get(a.id);
      if (prev) throw duplicate('action', a.id, prev.plugin, plugin.name);
      actions.set(a.id, { definition: a, plugin: plugin.name });
    }
  }
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per backend
  const fleets = new Map<string, { definition: FleetDefinition<any>; plugin: string }>();
  for (const plugin of plugins) {
    // Plugins built before fleets existed have no `fleets` list.
    for (const f of plugin.fleets ?? []) {
      const prev = fleets.get(f.id);
      if (prev) throw duplicate('fleet backend', f.id, prev.plugin, plugin.name);
      fleets.set(f.id, { definition: f, plugin: plugin.name });
    }
  }
  return { plugins, filters, actions, fleets };
}

/**
 * Import one plugin package (or file) and validate it. A path is taken relative to `dir` (the config's
 * folder); a package name is looked up from `dir`, then where Portcullis is installed, then
 * `PORTCULLIS_PLUGIN_PATH` (see {@link pluginSearchPath}). The file must pass
 * {@link checkPluginFilePermissions} before it is imported.
 */
export async function loadPlugin(name: string, dir: string, options: PluginSearchOptions = {}): Promise<Plugin> {
  const file = locatePlugin(name, dir, options);
  checkPluginFilePermissions(name, file);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new PortcullisError('PLUGIN_INVALID', `plugin ${name} failed to load: ${(error as Error).message}`, { cause: error });
  }
  return checkPlugin(mod.default, name);
}

/** The file a `plugins` entry names, or a PLUGIN_NOT_INSTALLED error that lists every place looked in. */
export function locatePlugin(name: string, dir: string, options: PluginSearchOptions = {}): string {
  if (name.startsWith('.') || isAbsolute(name)) {
    const file = resolve(dir, name);
    if (existsSync(file)) return file;
    throw new PortcullisError('PLUGIN_NOT_INSTALLED', `plugin file ${file} does not exist`, {
      hint: name.startsWith('.') ? `a relative plugin path is taken from the config's folder (${dir})` : undefined,
    });
  }
  if (!isPackageName(name)) {
    throw new PortcullisError('PLUGIN_NOT_INSTALLED', `plugin "${name}" is neither an npm package name nor a path`, {
      hint: 'list package names ("@portcullis/filter-sshd") or paths starting with ./, ../ or / ("./my-plugin.mjs")',
    });
  }
  const places = pluginSearchPath(dir, options);
  const file = findPluginEntry(name, places);
  if (file !== undefined) return file;
  const looked = new Map<string, string[]>();
  for (const { dir: folder, why } of nodeModulesFolders(places)) looked.set(why, [...(looked.get(why) ?? []), folder]);
  const where = [...looked].map(([why, folders]) => `${folders.join(', ')} (${why})`).join('; ');
  throw new PortcullisError('PLUGIN_NOT_INSTALLED', `plugin ${name} is not installed; looked in ${where}`, { hint: installHint(name, dir) });
}

/** Check a module's default export is a plugin built for a compatible plugin API. */
export function checkPlugin(value: unknown, name: string): Plugin {
  const p = value as Partial<Plugin> | undefined;
  if (!p || typeof p !== 'object' || typeof p.name !== 'string' || !Array.isArray(p.filters) || !Array.isArray(p.actions)) {
    throw new PortcullisError('PLUGIN_INVALID', `${name} is not a Portcullis plugin: its default export must be definePlugin({ name, filters, actions })`);
  }
  const wanted = major(PLUGIN_API_VERSION);
  const got = typeof p.apiVersion === 'string' ? major(p.apiVersion) : Number.NaN;
  if (got !== wanted) {
    throw new PortcullisError(
      'PLUGIN_API_MISMATCH',
      `${name} was built for plugin API ${p.apiVersion ?? '(none)'}, but this Portcullis implements plugin API ${PLUGIN_API_VERSION}`,
      { hint: `install a version of ${name} made for plugin API ${wanted}.x` },
    );
  }
  for (const f of p.filters) {
    if (!f || typeof f.id !== 'string' || (!f.failregex && !f.match)) {
      throw new PortcullisError('PLUGIN_INVALID', `${name}: a filter needs an id and failregex or match`);
    }
  }
  for (const a of p.actions) {
    if (!a || typeof a.id !== 'string' || typeof a.create !== 'function') {
      throw new PortcullisError('PLUGIN_INVALID', `${name}: an action needs an id and a create function`);
    }
  }
  return p as Plugin;
}

function major(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '', 10);
}

function duplicate(kind: string, id: string, first: string, second: string): PortcullisError {
  return new PortcullisError('PLUGIN_INVALID', `${kind} id "${id}" is provided by both ${first} and ${second}`, {
    hint: 'remove one of the two plugins from "plugins"',
  });
}
