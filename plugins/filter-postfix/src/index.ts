import { definePlugin } from '@portcullis/core';
import { postfix } from './postfix-filter.js';

export { postfix };

/** `@portcullis/filter-postfix`: the `postfix` filter. */
export default definePlugin({ name: '@portcullis/filter-postfix', filters: [postfix] });
