import { definePlugin } from '@portcullis/core';
import { ufwAction } from './ufw-action.js';

export { ufwAction };
export { banTarget, type BanTarget } from '@portcullis/core';
export { listedRules, portClauses, type ListedRule } from './ufw-rules.js';
export type { UfwOptions } from './options.js';

/** `@portcullis/action-ufw`: the `ufw` action. */
export default definePlugin({ name: '@portcullis/action-ufw', actions: [ufwAction] });
