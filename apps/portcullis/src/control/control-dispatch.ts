import { PortcullisError, parseAddress } from '@portcullis/core';
import type { Runtime } from '@portcullis/core/engine';
import { type RuntimeControlHandlers, runtimeControl } from './runtime-control.js';
import { CONTROL_COMMANDS, CONTROL_PROTOCOL_VERSION, type ControlCommand, type ControlErrorBody, PART_ITEMS, ProtocolError } from './control-protocol.js';

/** The part of the runtime the control socket drives. */
export type ControlTarget = Pick<Runtime, 'jailNames' | 'jailSummary' | 'ban' | 'unban' | 'unbanAll' | 'bans' | 'fleetStatus' | 'getSetting' | 'setSetting' | 'stopJail' | 'startJail'>;

/**
 * A result holding a list that may be too long to build at once (a million bans): the rest of the result,
 * then the items, a part at a time, produced while the answer is written. `field` is the key of the list
 * in the result, written last; `''` when the result is the list itself.
 */
export class ListAnswer {
  constructor(
    readonly head: Record<string, unknown> | undefined,
    readonly field: string,
    readonly parts: AsyncIterable<readonly unknown[]>,
  ) {}
}

/** What the control socket needs from the daemon besides the runtime. */
export interface ControlHandlers extends RuntimeControlHandlers {
  /**
   * Re-read the config file and apply it (optionally to one jail); throws PortcullisError when invalid.
   * `restart`: stop and start every jail (bans kept); `unban`: lift every ban (of the jail) first.
   */
  reload(jail?: string, mode?: { readonly restart?: boolean; readonly unban?: boolean }): Promise<void>;
  /** Stop the daemon; called once the `stop` reply has been written. */
  stop(): void;
  /** The daemon's version, for `ping` and `status`. */
  readonly version: string;
}

/** A request that passed validation. */
export interface ValidRequest {
  readonly id: number;
  readonly cmd: ControlCommand;
  readonly args: Record<string, unknown>;
  /** The client asked for a list answer in parts (see {@link ListAnswer}). */
  readonly stream: boolean;
}

/**
 * Check one request line: JSON object, protocol version (checked first, since another version may shape
 * the rest differently), numeric id, known command, object arguments. Throws {@link ProtocolError}, with
 * the id when one could be read so the client can match the error to its request.
 */
export function parseRequest(line: string): ValidRequest {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    throw new ProtocolError('BAD_REQUEST', 'request is not valid JSON');
  }
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new ProtocolError('BAD_REQUEST', 'request must be a JSON object');
  const r = req as Record<string, unknown>;
  if (r.v !== CONTROL_PROTOCOL_VERSION) {
    throw new ProtocolError('PROTOCOL_VERSION', `client speaks protocol version ${JSON.stringify(r.v ?? null)}, this daemon speaks version ${CONTROL_PROTOCOL_VERSION}: use a client of the same release`);
  }
  if (typeof r.id !== 'number' || !Number.isFinite(r.id)) throw new ProtocolError('BAD_REQUEST', '"id" must be a number');
  if (typeof r.cmd !== 'string' || !CONTROL_COMMANDS.includes(r.cmd as ControlCommand)) {
    throw new ProtocolError('UNKNOWN_COMMAND', `unknown command ${JSON.stringify(r.cmd ?? null)}; commands: ${CONTROL_COMMANDS.join(', ')}`);
  }
  if (r.args !== undefined && (typeof r.args !== 'object' || r.args === null || Array.isArray(r.args))) throw new ProtocolError('BAD_REQUEST', '"args" must be an object');
  if (r.stream !== undefined && typeof r.stream !== 'boolean') throw new ProtocolError('BAD_REQUEST', '"stream" must be true or false');
  return { id: r.id, cmd: r.cmd as ControlCommand, args: (r.args ?? {}) as Record<string, unknown>, stream: r.stream === true };
}

/** Run one validated command against the runtime; resolves with its result. */
export async function dispatch(req: ValidRequest, rt: ControlTarget, handlers: ControlHandlers): Promise<unknown> {
  const { args } = req;
  switch (req.cmd) {
    case 'ping':
      return { pong: true, version: handlers.version, pid: process.pid };
    case 'status': {
      if (args.fleet === true) {
        const fleet = await rt.fleetStatus();
        if (!fleet) throw new PortcullisError('FLEET_NOT_CONFIGURED', 'this daemon runs alone: its config has no fleet section', { hint: 'see docs/fleet.md' });
        return fleet;
      }
      const jail = optionalString(args, 'jail');
      // The summary first: it throws JAIL_UNKNOWN before anything is written.
      if (jail !== undefined) return new ListAnswer(rt.jailSummary(jail), 'banned', parts(rt.bans({ jail })));
      const jails = rt.jailNames.map((name) => rt.jailSummary(name));
      const totals = { currentlyFailed: 0, totalFailed: 0, currentlyBanned: 0, totalBanned: 0, notApplied: 0 };
      for (const j of jails) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += j[k];
      return { version: handlers.version, pid: process.pid, jails, totals };
    }
    case 'ban': {
      const jail = optionalString(args, 'jail');
      if (jail === undefined) throw new ProtocolError('BAD_REQUEST', 'ban needs "jail"');
      return rt.ban(jail, addresses(args));
    }
    case 'unban': {
      const jail = optionalString(args, 'jail');
      if (args.all !== true) return rt.unban(addresses(args), jail);
      if (jail !== undefined) rt.jailSummary(jail); // JAIL_UNKNOWN before anything is lifted
      return new ListAnswer({ notBanned: [], invalid: [] }, 'unbanned', reparts(rt.unbanAll(jail)));
    }
    case 'banned': {
      const ip = optionalString(args, 'ip');
      if (ip !== undefined && parseAddress(ip) === undefined) throw new PortcullisError('ADDRESS_INVALID', `${JSON.stringify(ip)} is not an IP address`);
      return new ListAnswer(undefined, '', parts(rt.bans({ ip })));
    }
    case 'reload': {
      const mode = { restart: args.restart === true, unban: args.unban === true };
      await handlers.reload(optionalString(args, 'jail'), mode);
      return { reloaded: true, ...(mode.restart ? { restarted: true } : {}), ...(mode.unban ? { unbanned: true } : {}), jails: rt.jailNames };
    }
    case 'get':
    case 'set':
    case 'jail':
    case 'flushlogs':
      return runtimeControl(req.cmd, args, rt, handlers);
    case 'stop':
      return { stopping: true, pid: process.pid };
  }
}

/** The error body of a response, for any error a command threw. */
export function errorBody(error: unknown): ControlErrorBody {
  if (error instanceof ProtocolError) return { code: error.code, message: error.message };
  if (error instanceof PortcullisError) {
    return { code: error.code, message: error.message, ...(error.problems.length ? { problems: error.problems } : {}), ...(error.hint ? { hint: error.hint } : {}) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Items in arrays of {@link PART_ITEMS}, built as they are asked for. */
async function* parts<T>(items: Iterable<T>): AsyncGenerator<T[]> {
  let part: T[] = [];
  for (const item of items) {
    part.push(item);
    if (part.length === PART_ITEMS) {
      yield part;
      part = [];
    }
  }
  if (part.length) yield part;
}

/** Batches of any size as parts of at most {@link PART_ITEMS}. */
async function* reparts<T>(batches: AsyncIterable<readonly T[]>): AsyncGenerator<readonly T[]> {
  for await (const batch of batches) for (let at = 0; at < batch.length; at += PART_ITEMS) yield batch.slice(at, at + PART_ITEMS);
}

export function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ProtocolError('BAD_REQUEST', `"${key}" must be a non-empty string`);
  return value;
}

function addresses(args: Record<string, unknown>): string[] {
  const ips = args.ips;
  if (!Array.isArray(ips) || ips.length === 0 || !ips.every((ip) => typeof ip === 'string')) {
    throw new ProtocolError('BAD_REQUEST', '"ips" must be a non-empty array of strings');
  }
  return ips as string[];
}
