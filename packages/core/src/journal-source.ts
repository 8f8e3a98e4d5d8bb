import { type ChildProcess, spawn } from 'node:child_process';
import { findProgram } from './embedded-config.js';
import { LineSplitter } from './line-splitter.js';
import type { LineSink, LogSource, PositionStore, SourceLine } from './log-source.js';
import type { Logger } from './logger.js';

/** Options of {@link createJournalSource}. */
export interface JournalSourceOptions {
  /** journalctl match arguments, e.g. `['_SYSTEMD_UNIT=ssh.service', '+', '_COMM=sshd']`. */
  readonly matches: readonly string[];
  readonly logger: Logger;
  readonly positions?: PositionStore | undefined;
  /** journalctl binary (default: found on PATH). */
  readonly journalctl?: string | undefined;
  /** Read a journal folder instead of the system journal (`--directory`). */
  readonly directory?: string | undefined;
  readonly extraArgs?: readonly string[] | undefined;
}

interface JournalRecord {
  MESSAGE?: string | number[] | null;
  SYSLOG_IDENTIFIER?: string;
  _COMM?: string;
  _PID?: string;
  SYSLOG_PID?: string;
  _HOSTNAME?: string;
  __REALTIME_TIMESTAMP?: string;
  __CURSOR?: string;
}

/**
 * Follows journald with `journalctl -o json --follow` (argv only), resuming after the stored cursor or
 * starting at the end. Each record becomes a structured line (`program[pid]: message`, time from
 * `__REALTIME_TIMESTAMP`). When journalctl exits it is restarted with backoff from the last cursor.
 */
export function createJournalSource(options: JournalSourceOptions): LogSource {
  const key = `journal:${options.directory ?? ''}:${options.matches.join(' ')}`;
  let child: ChildProcess | undefined;
  let stopped = true;
  let backoff = 1000;
  let timer: NodeJS.Timeout | undefined;
  let cursor = options.positions?.getPosition(key)?.cursor;

  const launch = (sink: LineSink) => {
    const bin = options.journalctl ?? findProgram('journalctl');
    if (!bin) {
      options.logger.error('journalctl not found: install systemd (journalctl) or use backend: file');
      return;
    }
    const args = ['-o', 'json', '--follow', '--no-pager', '--all'];
    if (options.directory) args.push('--directory', options.directory);
    args.push(...(cursor ? ['--after-cursor', cursor] : ['--lines', '0']));
    args.push(...(options.extraArgs ?? []), ...options.matches);
    const splitter = new LineSplitter({ maxLineLength: 1024 * 1024 });
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      const out: SourceLine[] = [];
      for (const text of splitter.push(chunk)) {
        const line = toLine(text);
        if (line) out.push(line.line);
        if (line?.cursor) cursor = line.cursor;
      }
      if (out.length) {
        options.positions?.setPosition(key, { cursor });
        sink(out, 'journal');
      }
      backoff = 1000;
    });
    proc.on('error', (error) => options.logger.error({ err: error }, `cannot run ${bin}: ${error.message}`));
    proc.on('exit', (code, signal) => {
      child = undefined;
      if (stopped) return;
      options.logger.warn({ code, signal, stderr: stderr.trim() }, `journalctl exited (${code ?? signal}); restarting in ${backoff} ms`);
      timer = setTimeout(() => launch(sink), backoff);
      backoff = Math.min(backoff * 2, 60_000);
    });
  };

  return {
    id: key,
    async start(sink) {
      stopped = false;
      launch(sink);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const proc = child;
      if (!proc) return;
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => resolve(), 2000).unref();
      });
    },
  };
}

function toLine(text: string): { line: SourceLine; cursor: string | undefined } | undefined {
  let r: JournalRecord;
  try {
    r = JSON.parse(text) as JournalRecord;
  } catch {
    return undefined;
  }
  const message = Array.isArray(r.MESSAGE) ? Buffer.from(r.MESSAGE).toString('utf8') : (r.MESSAGE ?? '');
  const program = r.SYSLOG_IDENTIFIER ?? r._COMM;
  const pid = r.SYSLOG_PID ?? r._PID;
  const us = Number(r.__REALTIME_TIMESTAMP);
  return {
    line: {
      text: `${program ?? ''}${pid ? `[${pid}]` : ''}: ${message}`,
      time: Number.isFinite(us) ? us / 1000 : undefined,
      program,
      pid,
      hostname: r._HOSTNAME,
    },
    cursor: r.__CURSOR,
  };
}
