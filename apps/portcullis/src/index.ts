// The app as a library, for embedding and tests.
export { version } from './version.js';
export { reportError } from './report-error.js';
export { runCheckConfig } from './check-config.js';
export { runPluginsCommand } from './plugins-command.js';
export { defineConfig } from './define-config.js';
