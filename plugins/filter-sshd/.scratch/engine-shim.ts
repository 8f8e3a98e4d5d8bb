// Scratch only: the parts of @portcullis/core/engine the filter tests use, while file-source.ts is missing.
export { compileFilter } from '../../../packages/core/src/compile-filter.js';
export { LineParser } from '../../../packages/core/src/line-parser.js';
