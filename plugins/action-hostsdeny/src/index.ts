import { definePlugin } from '@portcullis/core';
import { hostsDenyAction } from './hosts-deny-action.js';

export { hostsDenyOptions, type HostsDenyOptions } from './options.js';

/** `@portcullis/action-hostsdeny`: the `hostsdeny` action (TCP wrappers). */
export default definePlugin({
  name: '@portcullis/action-hostsdeny',
  actions: [hostsDenyAction],
});
