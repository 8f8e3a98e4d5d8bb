import { definePlugin } from '@portcullis/core';
import { courierAuth } from './courier-auth.js';
import { courierSmtp } from './courier-smtp.js';

export { courierAuth, courierSmtp };

/** `@portcullis/filter-courier`: the `courier-auth` and `courier-smtp` filters. */
export default definePlugin({ name: '@portcullis/filter-courier', filters: [courierAuth, courierSmtp] });
