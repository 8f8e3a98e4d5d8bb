// Reading and matching log lines, without the daemon's runtime, sources and config schema: what
// `test-filter` and other one-shot tools need, so they load (and hold in memory) only that.
export { compileFilter, type CompiledFilter, type CompileOptions } from './filters/compile-filter.js';
export { LineParser, type LineFormat } from './parsing/line-parser.js';
export { DateDetector } from './parsing/date-detector.js';
export { LineSplitter, MAX_LINE_LENGTH } from './sources/line-splitter.js';
