// Finding a config file and the plugins installed next to it, without validating or composing a config.
export { readConfigFile } from './compose/load-config.js';
export { indexPlugins, loadPlugin, type PluginRegistry } from './plugins/resolve-plugins.js';
export { discoverPlugins, type InstalledPlugin } from './plugins/discover-plugins.js';
export { isPackageName } from './plugins/package-name.js';
export { didYouMean } from './util/closest-name.js';
