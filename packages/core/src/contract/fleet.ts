// The fleet extension point: several Portcullis hosts share failures and bans through a store they all reach
// (Redis, Valkey, or whatever a backend plugin speaks). Core owns the decisions — what to count, what to ban,
// what a node may refuse — and a backend only moves data. Everything a backend hands back was written by other
// machines (or by whoever reached the store), so core validates it like a log line before it acts on it.
import type { StandardSchemaV1 } from './standard-schema.js';
import type { Logger } from '../util/logger.js';

/** What a fleet shares: `failures` (fleet-wide counts decide bans) and/or `bans` (every node applies them). */
export type FleetShare = 'failures' | 'bans';

/** A ban as it travels between nodes. */
export interface FleetBan {
  readonly jail: string;
  /** Canonical address (`192.0.2.1`) or network (`2001:db8:aa:bb::/64`). */
  readonly target: string;
  /** Ban start, ms since the epoch. */
  readonly time: number;
  /** Ban length in ms; `-1` forever. */
  readonly bantime: number;
  /** Failures that led to it (0 for a manual ban). */
  readonly failures: number;
  /** How many times the fleet has banned this target in this jail, this ban included. */
  readonly banCount: number;
  /** The node that recorded the ban. */
  readonly node: string;
}

/** One failure counted fleet-wide: per jail, per counting key (an address, or an IPv6 prefix). */
export interface FleetFailure {
  readonly jail: string;
  readonly key: string;
  /** ms since the epoch. */
  readonly time: number;
  /** The jail's findtime (ms): failures older than this drop out, and the store keeps them no longer. */
  readonly findtime: number;
  /** The jail's maxretry: the count at which the fleet bans. */
  readonly maxretry: number;
}

/** What the fleet answered for one failure. */
export interface FleetCount {
  /** Failures of this key in the jail's window, fleet-wide, this one included. */
  readonly count: number;
  /**
   * True for exactly one node when `count` reached maxretry: that node records the ban (and publishes it);
   * the others apply it when it arrives.
   */
  readonly decides: boolean;
}

/** A node of the fleet as the store last saw it. */
export interface FleetNode {
  readonly name: string;
  /** ms since the epoch of the node's last heartbeat. */
  readonly lastHeartbeat: number;
  /** Fleet bans the node applied since it started. */
  readonly bansApplied: number;
  /** Whether its heartbeat is recent (within three intervals). */
  readonly connected: boolean;
}

/** What `portcullis status --fleet` shows. */
export interface FleetStatus {
  /** The backend (`redis`). */
  readonly backend: string;
  /** Fleet name (the key prefix shared by its nodes). */
  readonly name: string;
  /** This node's name. */
  readonly node: string;
  readonly connected: boolean;
  readonly share: readonly FleetShare[];
  readonly nodes: readonly FleetNode[];
  /** Current fleet bans in the store (undefined while disconnected). */
  readonly bans: number | undefined;
  /** Values read from the store that were refused (not canonical, unknown jail, out of range). */
  readonly refused: number;
}

/** What core gives a backend. */
export interface FleetContext {
  readonly fleet: string;
  readonly node: string;
  readonly share: readonly FleetShare[];
  /** A logger scoped to the fleet. */
  readonly logger: Logger;
  /** Folder of the config file: relative paths in options resolve from here. */
  readonly configDir: string;
  /**
   * A ban arrived from the store (another node's, or one this node missed while apart). Core validates it,
   * checks this node's own ignoreip and addresses, and applies it through the jail's actions; it never
   * publishes it back. Returns whether it was applied.
   */
  applyBan(ban: unknown): boolean;
  /** An unban arrived from the store: lift the ban of `target` in `jail` here (validated like `applyBan`). */
  liftBan(jail: unknown, target: unknown): void;
  /** This node's own current bans: published after every (re)connect, so a store that lost them gets them back. */
  localBans(): Iterable<FleetBan>;
  /** Called when the connection state changes (for metrics and status). */
  connectionChanged(connected: boolean): void;
}

/**
 * A running fleet backend. While the store is unreachable every method resolves without effect (counts are
 * `undefined`): each node keeps working on its own, and the backend re-publishes on reconnect.
 */
export interface FleetInstance {
  /** Connect (without waiting for the store to be up), subscribe, and start heartbeats. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Add failures, one answer per failure in order; undefined when the store cannot be reached. */
  addFailures(failures: readonly FleetFailure[]): Promise<readonly FleetCount[] | undefined>;
  /** Record bans this node decided (once: a ban already in the store is not overwritten) and tell the others. */
  publishBans(bans: readonly FleetBan[]): Promise<void>;
  /** Lift bans everywhere. */
  publishUnbans(unbans: readonly { readonly jail: string; readonly target: string }[]): Promise<void>;
  /** How many times the fleet has banned `target` in `jail` (for bantime increments); undefined when unknown. */
  banCount(jail: string, target: string): Promise<number | undefined>;
  status(): Promise<FleetStatus>;
}

/**
 * A fleet backend as a plugin declares it. The backend's options sit under its id in the config's `fleet`
 * section (`fleet: { redis: "redis://…", name: web }` selects the backend `redis` with that value).
 * @typeParam O - the options type after validation.
 */
export interface FleetDefinition<O = unknown> {
  /** Backend id, and the key of its options in the `fleet` section, e.g. `redis`. */
  readonly id: string;
  readonly description?: string | undefined;
  /** Schema of the value under `fleet.<id>`. */
  readonly options?: StandardSchemaV1<unknown, O> | undefined;
  create(options: O, ctx: FleetContext): FleetInstance;
}
