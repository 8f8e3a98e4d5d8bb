/** Version of the control protocol spoken on the Unix socket (see docs/control-protocol.md). */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Longest request line the daemon accepts, in bytes (without the newline). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Commands of the control protocol. */
export type ControlCommand = 'ping' | 'status' | 'ban' | 'unban' | 'banned' | 'reload' | 'stop' | 'get' | 'set' | 'jail' | 'flushlogs';

/** Every command, for validating requests. */
export const CONTROL_COMMANDS: readonly ControlCommand[] = ['ping', 'status', 'ban', 'unban', 'banned', 'reload', 'stop', 'get', 'set', 'jail', 'flushlogs'];

/** One request: a JSON object on one line. */
export interface ControlRequest {
  readonly v: number;
  readonly id: number;
  readonly cmd: ControlCommand;
  readonly args?: Record<string, unknown>;
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

/** Errors of the protocol itself, as opposed to errors of a command. */
export type ProtocolErrorCode = 'BAD_REQUEST' | 'REQUEST_TOO_LARGE' | 'PROTOCOL_VERSION' | 'UNKNOWN_COMMAND' | 'INTERNAL';

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
