// Option schemas for plugins, apart from the plugin contract: zod is only loaded by plugins that declare
// options with it (actions), so reading logs (`test-filter`, filter plugins) never pays for it.
/** zod, re-exported so plugin option schemas use the same copy as core. */
export { z } from 'zod';
export { durationOption } from './config/duration-option.js';
