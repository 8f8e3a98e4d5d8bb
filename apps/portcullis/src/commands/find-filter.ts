import { PortcullisError } from '@portcullis/core';
import type { FilterDefinition, Plugin } from '@portcullis/core';
import { didYouMean, discoverPlugins, indexPlugins, installHint, isPackageName, loadPlugin, readConfigFile } from '@portcullis/core/plugin-loading';

/**
 * Find a filter by id among the plugins of the config (when there is one; these must load) and the plugin
 * packages installed where Node would find them from the config's folder or the current folder (these
 * are tried one by one: a broken unrelated package does not stop `test-filter`).
 */
export async function findFilter(id: string, configPath: string | undefined): Promise<FilterDefinition> {
  const { raw, dir } = await readConfigFile({ configPath });
  const configured = Array.isArray((raw as { plugins?: unknown })?.plugins) ? (raw as { plugins: string[] }).plugins : [];
  const plugins: Plugin[] = [];
  for (const name of configured) plugins.push(await loadPlugin(name, dir));
  const problems: string[] = [];
  // The packages named after the filter first (`sshd` → filter-sshd, `apache-auth` → filter-apache):
  // scanning and loading every installed plugin costs more than the run itself on small logs.
  const tried = new Set(configured);
  const mine = indexPlugins(plugins).filters.get(id);
  if (mine) return mine.definition;
  for (const guess of [`@portcullis/filter-${id}`, `@portcullis/filter-${id.split('-')[0]}`]) {
    if (tried.has(guess)) continue;
    tried.add(guess);
    const plugin = await loadPlugin(guess, dir).catch(() => undefined);
    if (plugin === undefined) continue;
    plugins.push(plugin);
    const entry = indexPlugins(plugins).filters.get(id);
    if (entry) return entry.definition;
  }
  for (const found of discoverPlugins(dir)) {
    if (tried.has(found.name)) continue;
    try {
      plugins.push(await loadPlugin(found.name, dir));
    } catch (error) {
      problems.push(`${found.name}: ${(error as Error).message}`);
    }
  }
  const registry = indexPlugins(plugins);
  const entry = registry.filters.get(id);
  if (entry) return entry.definition;
  const known = [...registry.filters.keys()].sort();
  const guess = `@portcullis/filter-${id.split('-')[0]}`;
  throw new PortcullisError(
    'FILTER_UNKNOWN',
    `unknown filter "${id}"${didYouMean(id, known)}; ${known.length ? `known filters: ${known.join(', ')}` : 'no filter plugin is installed'}${problems.length ? `\n  (plugins that failed to load: ${problems.join('; ')})` : ''}`,
    { hint: isPackageName(guess) ? `the plugin that provides it may be ${guess}; ${installHint(guess, dir)}` : undefined },
  );
}
