// A jail as the stages see it once config composition is done: settings resolved, filter and actions
// bound. Shared by the jail (detection and bans) and the sources (what to read), so it lives here, below
// both, rather than in the config composition that builds it.
import type { ActionDefinition } from './action-definition.js';
import type { FilterDefinition } from './filter-definition.js';

/** An action of a jail, options validated with the action's schema (defaults applied). */
export interface ComposedAction {
  readonly id: string;
  readonly options: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: options types differ per action
  readonly definition: ActionDefinition<any>;
  readonly plugin: string;
}

/** A jail with every default applied and every reference resolved. */
export interface ComposedJail {
  readonly name: string;
  readonly enabled: boolean;
  readonly filter: FilterDefinition;
  readonly filterOptions: Readonly<Record<string, string>>;
  readonly logpath: readonly string[];
  readonly backend: 'auto' | 'file' | 'journal' | 'stdin';
  readonly journalmatch: readonly string[];
  readonly actions: readonly ComposedAction[];
  /** ms; -1 = forever */
  readonly bantime: number;
  readonly findtime: number;
  readonly maxretry: number;
  readonly ignoreip: readonly string[];
  readonly ignoreself: boolean;
  readonly usedns: 'yes' | 'warn' | 'no';
  readonly ports: readonly string[];
  readonly protocol: 'tcp' | 'udp' | 'all';
  readonly logstart: 'end' | 'start';
  /** How dates are found in this jail's lines (the jail's `datepattern`, else its filter's); undefined: the usual formats. */
  readonly datepattern: string | undefined;
  readonly increment: { readonly factor: number; readonly maxtime: number; readonly overalljails: boolean } | undefined;
  /** IPv6 failures are counted and banned per prefix of this length (48–128; 128: per address). */
  readonly ipv6prefix: number;
  /** Subnet aggregation: failures of all hosts of one subnet add up; off when undefined. */
  readonly subnet: { readonly ipv4: number; readonly ipv6: number; readonly maxretry: number; readonly findtime: number } | undefined;
  /** Campaigns (one target, many sources); off when undefined. Durations in ms. */
  readonly campaign:
    | { readonly failures: number; readonly sources: number; readonly findtime: number; readonly duration: number; readonly maxretry: number }
    | undefined;
}
