import { definePlugin } from '@portcullis/core';
import { nftablesAction } from './nftables-action.js';

export { nftablesAction };
export type { NftablesOptions } from './options.js';

/** `@portcullis/action-nftables`: the `nftables` action. */
export default definePlugin({ name: '@portcullis/action-nftables', actions: [nftablesAction] });
