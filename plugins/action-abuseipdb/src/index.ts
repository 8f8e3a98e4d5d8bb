import { definePlugin } from '@portcullis/core';
import { abuseipdbAction } from './abuseipdb-action.js';

export { abuseipdbAction };
export type { AbuseipdbOptions } from './options.js';

/** `@portcullis/action-abuseipdb`: the `abuseipdb` action. */
export default definePlugin({ name: '@portcullis/action-abuseipdb', actions: [abuseipdbAction] });
