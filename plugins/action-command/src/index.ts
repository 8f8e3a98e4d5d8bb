import { definePlugin } from '@portcullis/core';
import { commandAction } from './command-action.js';

export { commandOptions, type CommandOptions } from './options.js';

/** `@portcullis/action-command`: the `command` action (your programs, or your JS action module). */
export default definePlugin({
  name: '@portcullis/action-command',
  actions: [commandAction],
});
