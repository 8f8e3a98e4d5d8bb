import { PortcullisError } from '@portcullis/core';
import type { FilterDefinition } from '@portcullis/core';
import { discoverPlugins, readConfigFile, resolvePlugins } from '@portcullis/core/engine';

/**
 * Find a filter by id among the plugins of the config (when there is one) and the plugin packages
 * installed where Node would find them from the config's folder (or the current folder).
 */
export async function findFilter(id: string, configPath: string | undefined): Promise<FilterDefinition> {
  const { raw, dir } = await readConfigFile({ configPath });
  const configured = Array.isArray((raw as { plugins?: unknown })?.plugins) ? ((raw as { plugins: string[] }).plugins) : [];
  const installed = discoverPlugins(dir).map((p) => p.name);
  const names = [...new Set([...configured, ...installed])];
  const registry = await resolvePlugins(names, dir);
  const entry = registry.filters.get(id);
  if (entry) return entry.definition;
  const known = [...registry.filters.keys()].sort();
  throw new PortcullisError('FILTER_UNKNOWN', `unknown filter "${id}"; ${known.length ? `known filters: ${known.join(', ')}` : 'no filter plugin is installed'}`, {
    hint: `install the plugin that provides it, e.g. npm install @portcullis/filter-${id.split('-')[0]}`,
  });
}
