// Finding a config file and the plugins installed next to it, without validating or composing a config.
export { readConfigFile } from './load-config.js';
export { indexPlugins, loadPlugin, type PluginRegistry } from './resolve-plugins.js';
export { discoverPlugins, type InstalledPlugin } from './discover-plugins.js';
