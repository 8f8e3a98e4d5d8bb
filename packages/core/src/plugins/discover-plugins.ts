import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PluginSearchOptions, nodeModulesFolders, pluginSearchPath } from './plugin-search-path.js';

/** An installed package that declares itself a Portcullis plugin (`keywords: ["portcullis-plugin"]`). */
export interface InstalledPlugin {
  readonly name: string;
  readonly version: string;
  readonly path: string;
}

/**
 * List the plugin packages Node would find by the plugin search path ({@link pluginSearchPath}): every
 * `node_modules` from the config's folder up to the root, then from where Portcullis is installed, then
 * from `PORTCULLIS_PLUGIN_PATH`; nearest first (a package found earlier shadows a later one, as
 * {@link loadPlugin} resolves it).
 */
export function discoverPlugins(dir: string, options: PluginSearchOptions = {}): InstalledPlugin[] {
  const found = new Map<string, InstalledPlugin>();
  for (const { dir: nm } of nodeModulesFolders(pluginSearchPath(dir, options))) {
    if (existsSync(nm)) for (const p of scan(nm)) if (!found.has(p.name)) found.set(p.name, p);
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function scan(nm: string): InstalledPlugin[] {
  const out: InstalledPlugin[] = [];
  for (const entry of safeList(nm)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      for (const sub of safeList(join(nm, entry))) read(join(nm, entry, sub), out);
    } else {
      read(join(nm, entry), out);
    }
  }
  return out;
}

function read(path: string, out: InstalledPlugin[]): void {
  try {
    const pkg = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { name?: string; version?: string; keywords?: unknown };
    if (typeof pkg.name === 'string' && Array.isArray(pkg.keywords) && pkg.keywords.includes('portcullis-plugin')) {
      out.push({ name: pkg.name, version: String(pkg.version ?? '0.0.0'), path });
    }
  } catch {
    // not a package, or unreadable: not a plugin we can use
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
