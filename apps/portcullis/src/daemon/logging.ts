import type { Logger } from '@portcullis/core';
import { type Logger as PinoLogger, pino } from 'pino';
import { escapeControls } from '../output/escape-controls.js';

/** Log output format: `text` for people (one line per record), `json` for log shippers. */
export type LogFormat = 'text' | 'json';

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const LABELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields the text line shows in fixed places (or not at all). */
const PLACED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'jail', 'action']);

/** The daemon's logger, whose level a reload can change. */
export interface DaemonLogger extends Logger {
  /** Set the level of this logger and of every child made from it (a jail's, an action's). */
  setLevel(level: string): void;
}

/**
 * The daemon's logger: pino writing to stderr (or `stream`), either as JSON lines or as compact text lines
 * (`2026-11-25T10:00:00.000Z INFO  [sshd] ban 192.0.2.7  failures=5`). The text form is a synchronous
 * transform of pino's own JSON line, so both formats carry the same fields.
 */
export function createLogger(options: { format: LogFormat; level: string; stream?: NodeJS.WritableStream | { write(text: string): unknown } | undefined }): DaemonLogger {
  const out = options.stream ?? process.stderr;
  const destination = options.format === 'json' ? out : { write: (line: string) => out.write(formatText(line)) };
  // A pino child keeps the level it was made with: to change the level of the jails' and actions' loggers
  // on reload, each child is remembered (weakly: a jail removed by a reload takes its loggers with it).
  const children = new Set<WeakRef<PinoLogger>>();
  const root = pino(
    { level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime, onChild: (child) => void children.add(new WeakRef(child)) },
    destination as NodeJS.WritableStream,
  );
  return Object.assign(root as unknown as Logger, {
    setLevel(level: string): void {
      root.level = level;
      for (const ref of children) {
        const child = ref.deref();
        if (child === undefined) children.delete(ref);
        else child.level = level;
      }
    },
  });
}

/** Change the level of a logger made by {@link createLogger} and of every child logger it has made. */
export function setLogLevel(logger: DaemonLogger, level: string): void {
  logger.setLevel(level);
}

/** The level of a logger made by {@link createLogger}. */
export function logLevel(logger: Logger): string {
  return (logger as unknown as { level: string }).level;
}

/**
 * One pino JSON record as a text line: time, level, `[jail/action]` scope, message, then the other fields
 * as `key=value`. Values come from log lines written by attackers, so control characters are escaped: a
 * record is always exactly one output line.
 */
export function formatText(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = (LABELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const scope = [rec.jail, rec.action].filter((s) => s !== undefined).map(String).join('/');
  const extra: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (PLACED.has(k)) continue;
    if (k === 'err' && v && typeof v === 'object') {
      const err = v as { message?: string; stack?: string };
      extra.push(`error=${escapeControls(JSON.stringify(err.message ?? ''))}`);
      if (rec.level === 10 || rec.level === 20) extra.push(`stack=${escapeControls(JSON.stringify(err.stack ?? ''))}`);
      continue;
    }
    // JSON escapes C0 controls; DEL and C1 controls it leaves raw, so those are escaped too.
    extra.push(`${escapeControls(k)}=${typeof v === 'string' && /^[\x21-\x7e]*$/.test(v) ? v : escapeControls(JSON.stringify(v) ?? 'undefined')}`);
  }
  const msg = escapeControls(String(rec.msg ?? ''));
  return `${String(rec.time ?? new Date().toISOString())} ${level} ${scope ? `[${escapeControls(scope)}] ` : ''}${msg}${extra.length ? `  ${extra.join(' ')}` : ''}\n`;
}
