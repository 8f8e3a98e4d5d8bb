import type { ActionDefinition } from './action-definition.js';
import type { FilterDefinition } from './filter-definition.js';
import type { FleetDefinition } from './fleet.js';

/**
 * The plugin API version this core implements. A plugin records the version it was built for
 * (`definePlugin` stamps it); the loader refuses a plugin whose major differs.
 */
export const PLUGIN_API_VERSION = '1.1.0';

/** A plugin: one package's contribution of filters and actions. */
export interface Plugin {
  /** The package name, e.g. `@portcullis/filter-sshd`. */
  readonly name: string;
  /** Plugin API version the plugin was built against (set by {@link definePlugin}). */
  readonly apiVersion: string;
  readonly filters: readonly FilterDefinition[];
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per action
  readonly actions: readonly ActionDefinition<any>[];
  /** Fleet backends (shared failures and bans across hosts), e.g. `redis`. */
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per backend
  readonly fleets: readonly FleetDefinition<any>[];
}

/** What a plugin author writes; `apiVersion` is filled in. */
export interface PluginInput {
  readonly name: string;
  readonly filters?: readonly FilterDefinition[] | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per action
  readonly actions?: readonly ActionDefinition<any>[] | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per backend
  readonly fleets?: readonly FleetDefinition<any>[] | undefined;
  /** Override only to declare an older API version the plugin was written for. */
  readonly apiVersion?: string | undefined;
}

/** Declare a plugin; make it the default export of the package. */
export function definePlugin(input: PluginInput): Plugin {
  return {
    name: input.name,
    apiVersion: input.apiVersion ?? PLUGIN_API_VERSION,
    filters: input.filters ?? [],
    actions: input.actions ?? [],
    fleets: input.fleets ?? [],
  };
}

/** Declare a filter (identity function that gives type checking and editor help). */
export function defineFilter(definition: FilterDefinition): FilterDefinition {
  return definition;
}

/** Declare an action (identity function that types `create`'s options from the schema). */
export function defineAction<O>(definition: ActionDefinition<O>): ActionDefinition<O> {
  return definition;
}

/** Declare a fleet backend (identity function that types `create`'s options from the schema). */
export function defineFleet<O>(definition: FleetDefinition<O>): FleetDefinition<O> {
  return definition;
}
