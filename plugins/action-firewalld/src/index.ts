import { definePlugin } from '@portcullis/core';
import { firewalldAction } from './firewalld-action.js';

export { firewalldAction };
export { banTarget, type BanTarget } from '@portcullis/core';
export { jailIpsets, richRules, type JailIpset } from './firewalld-objects.js';
export type { FirewalldOptions } from './options.js';

/** `@portcullis/action-firewalld`: the `firewalld` action. */
export default definePlugin({ name: '@portcullis/action-firewalld', actions: [firewalldAction] });
