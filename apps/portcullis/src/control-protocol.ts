/** Version of the control protocol spoken on the Unix socket (see docs/control-protocol.md). */
export const CONTROL_PROTOCOL_VERSION = 1;

/** Longest request line the daemon accepts. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** Commands of the control protocol. */
export type ControlCommand = 'ping' | 'status' | 'ban' | 'unban' | 'banned' | 'reload' | 'stop';

/** One request: a JSON object on one line. */
export interface ControlRequest {
  readonly v: number;
  readonly id: number;
  readonly cmd: ControlCommand;
  readonly args?: Record<string, unknown>;
}

/** One response line, answering the request with the same id. */
export type ControlResponse =
  | { readonly v: number; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly id: number; readonly ok: false; readonly error: { code: string; message: string; problems?: readonly string[] } };
