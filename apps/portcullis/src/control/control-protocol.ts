/** Version of the control protocol spoken on the Unix socket (see docs/control-protocol.md). */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Longest request line the daemon accepts, in bytes (without the newline). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Commands of the control protocol. */
export type ControlCommand = 'ping' | 'status' | 'ban' | 'unban' | 'banned' | 'reload' | 'stop' | 'get' | 'set' | 'jail' | 'flushlogs';

/** Every command, for validating requests. */
export const CONTROL_COMMANDS: readonly ControlCommand[] = ['ping', 'status', 'ban', 'unban', 'banned', 'reload', 'stop', 'get', 'set', 'jail', 'flushlogs'];

/**
 * Items a streamed answer carries per `part` line: about 26 KB of JSON for bans. Small enough that each
 * part's text is a young-generation string (V8 puts strings over ~128 KB in large-object space, freed only
 * by a full collection: 1,000-item parts made the daemon's RSS grow 155 MiB over a million bans).
 */
export const PART_ITEMS = 200;

/** One request: a JSON object on one line. */
export interface ControlRequest {
  readonly v: number;
  readonly id: number;
  readonly cmd: ControlCommand;
  readonly args?: Record<string, unknown>;
  /**
   * Ask for a list answer (`banned`, `status {jail}`, `unban {all}`) in parts: a head line, `part` lines of
   * up to {@link PART_ITEMS} items, an `end` line. Without it the same answer comes as one line.
   */
  readonly stream?: boolean;
}

/** The error part of a failed response. */
export interface ControlErrorBody {
  /** Stable code: a PortcullisError code (`JAIL_UNKNOWN`, `CONFIG_INVALID`…) or a protocol one (see {@link ProtocolErrorCode}). */
  readonly code: string;
  readonly message: string;
  /** For `CONFIG_INVALID`: one line per problem, path first. */
  readonly problems?: readonly string[];
  readonly hint?: string;
}

/** One response line, answering the request with the same id. */
export type ControlResponse =
  | { readonly v: number; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: number; readonly ok: false; readonly error: ControlErrorBody };

/**
 * The lines of a streamed answer. The head is an ordinary successful response plus `stream`: the key of
 * `result` the items belong in (`""`: the result is the list itself); then `part` lines; then `end`, with the
 * number of items sent, or an `error` when the answer broke off.
 */
export type StreamLine =
  | { readonly v: number; readonly id: number; readonly part: readonly unknown[] }
  | { readonly v: number; readonly id: number; readonly end: { readonly items: number }; readonly error?: ControlErrorBody };

/** Errors of the protocol itself, as opposed to errors of a command. */
export type ProtocolErrorCode = 'BAD_REQUEST' | 'REQUEST_TOO_LARGE' | 'PROTOCOL_VERSION' | 'UNKNOWN_COMMAND' | 'BUSY' | 'INTERNAL';

/** A request the daemon cannot serve because of its shape (bad JSON, bad arguments, unknown command…). */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
