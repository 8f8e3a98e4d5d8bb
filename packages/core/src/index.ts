// The plugin contract: everything a filter or action package needs, from one entry.
export { definePlugin, defineFilter, defineAction, PLUGIN_API_VERSION } from './plugin-api.js';
export type { Plugin, PluginInput } from './plugin-api.js';
export type {
  FilterDefinition,
  FilterOption,
  FailRule,
  RuleKind,
  Failure,
  CustomMatcher,
} from './filter-definition.js';
export type { ActionDefinition, ActionInstance, ActionContext, JailInfo } from './action-definition.js';
export type { BanTicket } from './ban-ticket.js';
export type { LogLine } from './log-line.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type { LogSource, LineSink, SourceLine, SourcePosition, PositionStore, LogSourceContext } from './log-source.js';
export type { BanStore, StoredBan } from './ban-store.js';
export { parseAddress, type ParsedAddress } from './ip-address.js';
export { detach, detachLine } from './detach-string.js';
export { PortcullisError, type ErrorCode } from './errors.js';
export { parseDuration, formatDuration } from './duration.js';
export { findProgram } from './embedded-config.js';
