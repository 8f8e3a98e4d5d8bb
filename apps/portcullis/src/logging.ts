import type { Logger } from '@portcullis/core';
import { pino } from 'pino';

/** Log output format: `text` for people (one line per record), `json` for log shippers. */
export type LogFormat = 'text' | 'json';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * The daemon's logger: pino writing to stderr, either as JSON lines or as compact text lines
 * (`2026-11-25T10:00:00.000Z INFO  [sshd] ban 192.0.2.7 ip=192.0.2.7 failures=5`).
 */
export function createLogger(options: { format: LogFormat; level: string; stream?: NodeJS.WritableStream }): Logger {
  const out = options.stream ?? process.stderr;
  const destination = options.format === 'json' ? out : { write: (line: string) => out.write(toText(line)) };
  return pino({ level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination as NodeJS.WritableStream) as unknown as Logger;
}

function toText(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = (LEVELS[rec.level as number] ?? String(rec.level)).padEnd(5);
  const scope = [rec.jail, rec.action].filter(Boolean).join('/');
  const extra: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k) || k === 'jail' || k === 'action') continue;
    if (k === 'err' && v && typeof v === 'object') {
      extra.push(`error=${JSON.stringify((v as { message?: string }).message ?? v)}`);
      continue;
    }
    extra.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return `${String(rec.time ?? new Date().toISOString())} ${level} ${scope ? `[${scope}] ` : ''}${String(rec.msg ?? '')}${extra.length ? `  ${extra.join(' ')}` : ''}\n`;
}
