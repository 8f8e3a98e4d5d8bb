// The app as a library, for embedding and tests.
export { version } from './output/version.js';
export { reportError } from './output/report-error.js';
export { runCheckConfig } from './commands/check-config.js';
export { runPluginsCommand } from './commands/plugins-command.js';
export { defineConfig } from './define-config.js';
