// Finding a config file and the plugins installed next to it, without validating or composing a config.
export { readConfigFile } from './compose/load-config.js';
export { indexPlugins, loadPlugin, locatePlugin, type PluginRegistry } from './plugins/resolve-plugins.js';
export { discoverPlugins, type InstalledPlugin } from './plugins/discover-plugins.js';
export { isPackageName } from './plugins/package-name.js';
export { didYouMean } from './util/closest-name.js';
export { pluginSearchPath, nodeModulesFolders, installHint, type PluginPlace, type PluginSearchOptions } from './plugins/plugin-search-path.js';
export { checkPluginFilePermissions } from './plugins/plugin-file-permissions.js';
