import { definePlugin } from '@portcullis/core';
import { qmail } from './qmail-filter.js';

export { qmail };

/** `@portcullis/filter-qmail`: the `qmail` filter. */
export default definePlugin({ name: '@portcullis/filter-qmail', filters: [qmail] });
