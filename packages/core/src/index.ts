// The plugin contract: everything a filter or action package needs, from one entry.
export { definePlugin, defineFilter, defineAction, defineFleet, PLUGIN_API_VERSION } from './contract/plugin-api.js';
export type { Plugin, PluginInput } from './contract/plugin-api.js';
export type {
  FilterDefinition,
  FilterOption,
  FailRule,
  RuleKind,
  Failure,
  CustomMatcher,
} from './contract/filter-definition.js';
export type { ActionDefinition, ActionInstance, ActionContext, JailInfo, ListedBan } from './contract/action-definition.js';
export type { BanTicket, CampaignEvent } from './contract/ban-ticket.js';
export type {
  FleetBan,
  FleetContext,
  FleetCount,
  FleetDefinition,
  FleetFailure,
  FleetInstance,
  FleetNode,
  FleetShare,
  FleetStatus,
} from './contract/fleet.js';
export type { LogLine } from './contract/log-line.js';
export type { Logger } from './util/logger.js';
export { silentLogger } from './util/logger.js';
export type { StandardSchemaV1 } from './contract/standard-schema.js';
export type { LogSource, LineSink, SourceLine, SourcePosition, PositionStore, LogSourceContext } from './contract/log-source.js';
export type { BanStore, StoredBan, StoreSnapshot } from './contract/ban-store.js';
export type { FailureRecord, ProgressStore, ReadProgress } from './contract/read-progress.js';
export { parseAddress, type ParsedAddress } from './util/ip-address.js';
export { parseNetwork, networkContains, targetParts, type ParsedNetwork } from './util/ip-network.js';
export { banTarget, targetsOverlap, type BanTarget } from './util/ban-target.js';
export { detach, detachLine } from './parsing/detach-string.js';
export { PortcullisError, type ErrorCode } from './util/errors.js';
export { parseDuration, formatDuration } from './util/duration.js';
export { findProgram } from './config/embedded-config.js';
export { runProgram, type ProgramRun, type ProgramResult } from './util/run-program.js';
