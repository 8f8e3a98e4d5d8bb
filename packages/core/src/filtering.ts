// Reading and matching log lines, without the daemon's runtime, sources and config schema: what
// `test-filter` and other one-shot tools need, so they load (and hold in memory) only that.
export { compileFilter, type CompiledFilter, type CompileOptions } from './filters/compile-filter.js';
export { LineParser, type LineFormat } from './parsing/line-parser.js';
export { DateDetector } from './parsing/date-detector.js';
export { LineSplitter, MAX_LINE_LENGTH } from './sources/line-splitter.js';
export { OrderedHostMap } from './jail/ordered-host-map.js';
export { ByteLineCutter } from './sources/byte-line-cutter.js';
export { SyslogByteReader, type ByteLine } from './parsing/syslog-bytes.js';
export {
  loadFail2banFilter,
  fail2banFilterPath,
  FAIL2BAN_DIR,
  FAIL2BAN_PREFIX,
  type Fail2banExtras,
} from './filters/fail2ban/load-fail2ban-filter.js';
export { checkRegexSafety, type RegexVerdict } from './filters/regex-safety.js';
export { Fail2banConfig } from './filters/fail2ban/fail2ban-config.js';
export type { IniValue } from './filters/fail2ban/ini-file.js';
export { INJECTABLE_FAIL2BAN_FILTERS } from './filters/fail2ban/injectable-filters.js';
