import { PortcullisError } from '@portcullis/core';
import { readConfigFile, statePaths } from '@portcullis/core/engine';
import { BrokenAnswerError, NoDaemonError, request } from '../control/control-client.js';
import type { ControlCommand, ControlResponse } from '../control/control-protocol.js';
import { listField, listRenderer, renderResult } from '../control/control-render.js';
import { escapeControls } from '../output/escape-controls.js';
import { JsonListPrinter, TextListPrinter } from './list-printers.js';

/** Options every client command takes. */
export interface ClientOptions {
  /** `--socket PATH`: the control socket. */
  readonly socket?: string | undefined;
  /** `--config PATH`: use the `socket` of this config (default: the config found in the current folder). */
  readonly config?: string | undefined;
  /** `--json`: print the result object (or `{ ok: false, error }`) instead of text. */
  readonly json?: boolean | undefined;
  /** Output streams (default process.stdout / process.stderr); for tests. */
  readonly stdout?: NodeJS.WritableStream | undefined;
  readonly stderr?: NodeJS.WritableStream | undefined;
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/**
 * The socket path: `--socket`, else the `socket` key of `--config` (or of the config found in the current
 * folder; defaults as the daemon derives them). Only reads the file: no plugin needs to load.
 */
export async function socketPath(options: ClientOptions): Promise<string> {
  if (options.socket) return options.socket;
  const { raw, dir } = await readConfigFile({ configPath: options.config });
  return statePaths((raw ?? {}) as { socket?: unknown }, dir).socket;
}

/** `portcullis status [jail]`: all jails with totals, or one jail with its bans. */
export function runStatus(jail: string | undefined, options: ClientOptions): Promise<number> {
  return runClientCommand('status', jail === undefined ? {} : { jail }, options);
}

/** `portcullis ban <jail> <ip...>`: exit 1 when an address is invalid or the jail unknown. */
export function runBan(jail: string, ips: readonly string[], options: ClientOptions): Promise<number> {
  if (ips.length === 0) return usage('ban needs a jail and at least one address', options);
  return runClientCommand('ban', { jail, ips }, options);
}

/** `portcullis unban <ip...> [--jail J]` or `unban --all [--jail J]`. */
export function runUnban(ips: readonly string[], options: ClientOptions & { readonly all?: boolean | undefined; readonly jail?: string | undefined }): Promise<number> {
  if (options.all && ips.length > 0) return usage('unban takes addresses or --all, not both', options);
  if (!options.all && ips.length === 0) return usage('unban needs addresses or --all', options);
  const jail = options.jail === undefined ? {} : { jail: options.jail };
  return runClientCommand('unban', options.all ? { all: true, ...jail } : { ips, ...jail }, options);
}

/** `portcullis banned [ip]`: current bans (of one address). */
export function runBanned(ip: string | undefined, options: ClientOptions): Promise<number> {
  return runClientCommand('banned', ip === undefined ? {} : { ip }, options);
}

/** `portcullis reload [jail]`: exit 1 (with the problems) when the new config is invalid; the old one keeps running. */
export function runReload(jail: string | undefined, options: ClientOptions): Promise<number> {
  return runClientCommand('reload', jail === undefined ? {} : { jail }, options);
}

/** `portcullis stop`: asks the daemon to stop and waits (up to 60 s) until its process has exited. */
export function runStop(options: ClientOptions): Promise<number> {
  return runClientCommand('stop', {}, options);
}

/** `portcullis ping`: 0 when the daemon answers, 3 when none does. */
export function runPing(options: ClientOptions): Promise<number> {
  return runClientCommand('ping', {}, options);
}

/** Run one control command and print its result; resolves with the exit code (see {@link EXIT}). */
export async function runClientCommand(cmd: ControlCommand, args: Record<string, unknown>, options: ClientOptions): Promise<number> {
  const out = options.stdout ?? process.stdout;
  let path: string;
  try {
    path = await socketPath(options);
  } catch (error) {
    if (!(error instanceof PortcullisError)) throw error;
    return fail(options, EXIT.usage, { code: error.code, message: error.message });
  }
  // A list answer (banned, status of a jail, unban --all) is printed as its parts arrive.
  const field = listField(cmd, args);
  const printer = field === undefined ? undefined : options.json ? new JsonListPrinter(out) : new TextListPrinter(out, listRenderer(cmd, args)!);
  let response: ControlResponse;
  try {
    response = await request(path, cmd, args, { timeoutMs: cmd === 'reload' ? 120_000 : 30_000, sink: printer });
    if (response.ok && cmd === 'stop') await waitForExit((response.result as { pid: number }).pid, 60_000);
  } catch (error) {
    if (error instanceof NoDaemonError) return fail(options, EXIT.noDaemon, { code: 'NO_DAEMON', message: error.message });
    if (error instanceof BrokenAnswerError) return fail(options, EXIT.failed, { code: 'ANSWER_BROKEN', message: error.message });
    return fail(options, EXIT.failed, { code: 'INTERNAL', message: (error as Error).message });
  }
  if (!response.ok) return fail(options, EXIT.failed, response.error);
  if (printer !== undefined) {
    // A daemon that answered in one line (it did not know `stream`): print that answer the same way.
    if (!printer.started) {
      const { [field!]: list, ...rest } = (field === '' ? { '': response.result } : response.result) as Record<string, unknown>;
      printer.head(field === '' ? [] : rest, field!);
      if (Array.isArray(list) && list.length) printer.part(list);
    }
    printer.end();
    return printer.items === 0 && (args.all === true || args.ip !== undefined) ? EXIT.failed : EXIT.ok;
  }
  if (options.json) out.write(`${JSON.stringify(response.result, null, 2)}\n`);
  else out.write(`${cmd === 'stop' ? 'stopped' : renderResult(cmd, args, response.result)}\n`);
  return changedNothing(cmd, response.result) ? EXIT.failed : EXIT.ok;
}

/**
 * `ban` and `unban` exit 1 when an address was invalid, or when nothing that was asked happened (every
 * address already banned or ignored; none of them banned). Lists: see runClientCommand.
 */
function changedNothing(cmd: ControlCommand, result: unknown): boolean {
  if (cmd === 'ban') {
    const r = result as { banned: string[]; invalid: string[] };
    return r.invalid.length > 0 || r.banned.length === 0;
  }
  if (cmd === 'unban') {
    const r = result as { unbanned: unknown[]; invalid?: string[] };
    return (r.invalid?.length ?? 0) > 0 || r.unbanned.length === 0;
  }
  return false;
}

/** Print an error (JSON on stdout with --json, text on stderr otherwise) and return `code`. */
function fail(options: ClientOptions, code: number, error: { code: string; message: string; problems?: readonly string[]; hint?: string }): number {
  if (options.json) {
    (options.stdout ?? process.stdout).write(`${JSON.stringify({ ok: false, error }, null, 2)}\n`);
    return code;
  }
  const err = options.stderr ?? process.stderr;
  err.write(`portcullis: ${escapeControls(error.message)}\n`);
  for (const p of error.problems ?? []) if (!error.message.includes(p)) err.write(`  ${escapeControls(p)}\n`);
  if (error.hint) err.write(`  hint: ${escapeControls(error.hint)}\n`);
  return code;
}

function usage(message: string, options: ClientOptions): Promise<number> {
  return Promise.resolve(fail(options, EXIT.usage, { code: 'USAGE', message }));
}

/** After `stop` was accepted: wait until the daemon process has exited (its actions have stopped). */
async function waitForExit(pid: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
      throw error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon (pid ${pid}) accepted stop but is still running after ${ms / 1000} s`);
}
