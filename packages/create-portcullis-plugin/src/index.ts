export { scaffoldPlugin, type ScaffoldOptions } from './scaffold-plugin.js';
export { pluginNames, type PluginNames } from './plugin-names.js';
