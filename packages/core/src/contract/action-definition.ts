import type { StandardSchemaV1 } from './standard-schema.js';
import type { BanTicket, CampaignEvent } from './ban-ticket.js';
import type { Logger } from '../util/logger.js';

/** What the engine tells an action instance about the jail it serves. */
export interface JailInfo {
  /** Jail name (safe: `[A-Za-z0-9_.-]+`), usable in firewall object names. */
  readonly name: string;
  /** Ports from the jail's `port` setting (numbers, names or ranges like `8000:8100`); empty = all. */
  readonly ports: readonly string[];
  /** `tcp`, `udp` or `all`. */
  readonly protocol: 'tcp' | 'udp' | 'all';
  /** The jail's ban time in ms (`-1` = forever); the longest ban an action may see unless increment is on. */
  readonly bantime: number;
}

/** Context passed to {@link ActionDefinition.create}. */
export interface ActionContext {
  readonly jail: JailInfo;
  /** A logger already scoped to the jail and the action. */
  readonly logger: Logger;
  /** Folder of the config file: relative paths in options resolve from here. */
  readonly configDir: string;
  /** True when the engine runs without privileges to touch the system (tests, `--dry-run`). */
  readonly dryRun: boolean;
}

/**
 * A running action for one jail. Every method takes a batch; the engine coalesces bans that arrive
 * close together so a firewall action can apply thousands with one command.
 * All methods must be idempotent. A rejected promise is reported and retried with backoff.
 */
export interface ActionInstance {
  /** Create tables, chains, files… Called once when the jail starts and again after `check` fails. */
  start?(): Promise<void>;
  /** Remove what `start` created (unless configured to keep bans). */
  stop?(): Promise<void>;
  ban(tickets: readonly BanTicket[]): Promise<void>;
  unban(tickets: readonly BanTicket[]): Promise<void>;
  /**
   * Verify that what `start` created is still there. Returning false (or throwing) makes the engine
   * call `start` again and re-ban every current ban of the jail.
   */
  check?(): Promise<boolean>;
  /** Remove every ban at once (used by `unban --all`); the engine falls back to `unban` when absent. */
  flush?(): Promise<void>;
  /**
   * A campaign started (many sources attacking one target). Told once per campaign; the bans it leads to
   * follow as ordinary tickets with reason `campaign`. Errors are logged, not retried.
   */
  campaign?(event: CampaignEvent): Promise<void>;
  /**
   * The bans the action holds now, when it can tell (firewall sets, a record file): `expires` in ms since
   * the epoch, `Infinity` for a permanent ban. Called after `start` when the store lost its bans (a corrupt
   * file moved aside), so the daemon keeps enforcing what the firewall still held.
   */
  list?(): Promise<ListedBan[]>;
}

/** A ban as an action reports it from {@link ActionInstance.list}. */
export interface ListedBan {
  readonly ip: string;
  readonly expires: number;
}

/**
 * An action as a plugin declares it.
 * @typeParam O - the options type after validation (defaults applied).
 */
export interface ActionDefinition<O = Record<string, unknown>> {
  /** Action id used in configs, e.g. `nftables`. */
  readonly id: string;
  readonly description?: string | undefined;
  /**
   * Options schema (any Standard Schema implementation, e.g. the `z` re-exported by core). Validated
   * at config load; the validated value (with defaults) is what `create` receives.
   */
  readonly options?: StandardSchemaV1<unknown, O> | undefined;
  /** Build the action for one jail. Throwing here is a configuration error for that jail. */
  create(options: O, ctx: ActionContext): ActionInstance;
}
