import { definePlugin } from '@portcullis/core';
import { emailAction } from './email-action.js';

export { emailOptions, type EmailOptions } from './options.js';

/** `@portcullis/action-email`: the `email` action (SMTP notifications and digests). */
export default definePlugin({
  name: '@portcullis/action-email',
  actions: [emailAction],
});
