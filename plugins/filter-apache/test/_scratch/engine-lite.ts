export { compileFilter } from '../../../../packages/core/src/compile-filter.js';
export { LineParser } from '../../../../packages/core/src/line-parser.js';
