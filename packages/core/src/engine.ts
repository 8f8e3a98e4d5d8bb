// The engine, for the app and for tests: config, plugin loading, jails, sources, stores.
export { compileFilter, type CompiledFilter, type CompileOptions } from './compile-filter.js';
export { LineParser, type LineFormat } from './line-parser.js';
export { DateDetector } from './date-detector.js';
export { LineSplitter, MAX_LINE_LENGTH } from './line-splitter.js';
export { AddressMatcher } from './address-matcher.js';
export { FailureTracker, type TrackResult } from './failure-tracker.js';
export { MemoryBanStore } from './memory-store.js';
export { dryRunAction } from './dry-run-action.js';
export { configSchema, type PortcullisConfig, type JailConfig } from './config-schema.js';
export { loadConfig, parseConfig, type LoadedConfig, type ComposedJail } from './load-config.js';
export { resolvePlugins, type PluginRegistry } from './resolve-plugins.js';
export { Runtime, type RuntimeOptions, type RuntimeHooks, type JailStatus, type BanInfo } from './runtime.js';
export { createFileSource, type FileSourceOptions } from './file-source.js';
export { createJournalSource, type JournalSourceOptions } from './journal-source.js';
export { createStdinSource } from './stdin-source.js';
