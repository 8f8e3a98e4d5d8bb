import { definePlugin } from '@portcullis/core';
import { iptablesAction } from './iptables-action.js';

export { iptablesAction };
export type { IptablesOptions } from './options.js';

/** `@portcullis/action-iptables`: the `iptables` action (iptables + ip6tables, optional ipset). */
export default definePlugin({ name: '@portcullis/action-iptables', actions: [iptablesAction] });
