import type { Plugin } from '../contract/plugin-api.js';
import { didYouMean } from '../util/closest-name.js';
import { PortcullisError } from '../util/errors.js';
import { discoverPlugins } from './discover-plugins.js';
import { type PluginRegistry, indexPlugins, loadPlugin } from './resolve-plugins.js';

/** A plugin of the config that could not be used, with its index in `plugins`. */
export interface PluginFailure {
  /** Path in the config: `plugins[2]`, or `plugins` for a clash between two plugins. */
  readonly path: string;
  readonly error: PortcullisError;
}

/**
 * Load every plugin of the config, going on past the ones that fail, so each failure is reported in the
 * same pass. A package that is not installed gets a "did you mean" among the plugins installed where Node
 * would look from `dir`. The registry holds the plugins that loaded.
 */
export async function loadPluginsCollecting(names: readonly string[], dir: string): Promise<{ registry: PluginRegistry; failures: PluginFailure[] }> {
  const plugins: Plugin[] = [];
  const failures: PluginFailure[] = [];
  let installed: string[] | undefined;
  for (const [i, name] of names.entries()) {
    try {
      plugins.push(await loadPlugin(name, dir));
    } catch (error) {
      if (!(error instanceof PortcullisError)) throw error;
      let reported = error;
      if (error.code === 'PLUGIN_NOT_INSTALLED' || error.code === 'PLUGIN_INVALID') {
        installed ??= discoverPlugins(dir).map((p) => p.name);
        const guess = didYouMean(name, installed.filter((n) => n !== name));
        if (guess) reported = new PortcullisError(error.code, `${error.message}${guess}`, { hint: error.hint, cause: error });
      }
      failures.push({ path: `plugins[${i}]`, error: reported });
    }
  }
  let registry: PluginRegistry;
  try {
    registry = indexPlugins(plugins);
  } catch (error) {
    if (!(error instanceof PortcullisError)) throw error;
    failures.push({ path: 'plugins', error });
    registry = indexPlugins([]);
  }
  return { registry, failures };
}
