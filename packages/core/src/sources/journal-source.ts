import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { findProgram } from '../util/find-program.js';
import { PortcullisError } from '../util/errors.js';
import { decodeJournalRecord } from './journal-record.js';
import { LineSplitter } from './line-splitter.js';
import type { LineSink, LogSource, PositionStore, SourceLine } from '../contract/log-source.js';
import type { Logger } from '../util/logger.js';

/** Options of {@link createJournalSource}. */
export interface JournalSourceOptions {
  /** journalctl match arguments, e.g. `['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']`. */
  readonly matches: readonly string[];
  readonly logger: Logger;
  /** Where the cursor is kept (key `journal:<matches>`), so a restart resumes after the last record read. */
  readonly positions?: PositionStore | undefined;
  /** journalctl binary (default: found on PATH). */
  readonly journalctl?: string | undefined;
  /** Read a journal folder instead of the system journal (`--directory`). */
  readonly directory?: string | undefined;
  readonly extraArgs?: readonly string[] | undefined;
}

/** A JSON record is a few KiB; this bounds what one hostile record can make us buffer. */
const MAX_RECORD = 1024 * 1024;
const FIRST_BACKOFF = 1000;
const MAX_BACKOFF = 60_000;

/**
 * Follows journald with `journalctl -o json --follow` (argv, no shell), resuming after the stored cursor
 * or, without one, starting at the end (`--lines 0`). Each record is decoded by {@link decodeJournalRecord}
 * (its `message` is MESSAGE). The cursor is saved after every delivered batch; when journalctl exits it is
 * restarted after the last cursor, with a backoff from 1 s to 1 min. A cursor journalctl rejects is dropped (and reading starts at the end).
 */
export function createJournalSource(options: JournalSourceOptions): LogSource {
  const key = `journal:${options.matches.join(' ')}`;
  const logger = options.logger;
  let child: ChildProcess | undefined;
  let running = false;
  let backoff = FIRST_BACKOFF;
  let restartTimer: NodeJS.Timeout | undefined;
  let cursor = options.positions?.getPosition(key)?.cursor;
  let badRecords = 0;

  const argv = (): string[] => {
    const args = ['--output=json', '--follow', '--no-pager', '--all'];
    if (options.directory) args.push(`--directory=${options.directory}`);
    args.push(cursor ? `--after-cursor=${cursor}` : '--lines=0');
    return [...args, ...(options.extraArgs ?? []), ...options.matches];
  };

  const restartLater = (bin: string, sink: LineSink): void => {
    restartTimer = setTimeout(() => {
      if (running) launch(bin, sink).catch(() => restartLater(bin, sink));
    }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  };

  const launch = (bin: string, sink: LineSink): Promise<void> => {
    const splitter = new LineSplitter({ maxLineLength: MAX_RECORD });
    const proc = spawn(bin, argv(), { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    child = proc;
    let stderr = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => {
      stderr = (stderr + text).slice(-2000);
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      if (!running) return; // stopped: leave the cursor where the last delivered batch put it
      const out: SourceLine[] = [];
      for (const json of splitter.push(chunk)) {
        const record = decodeJournalRecord(json);
        if (!record) {
          if (badRecords++ === 0)
            logger.warn(
              { source: key },
              'journalctl printed a line that is not a JSON record; skipping such lines',
            );
          continue;
        }
        out.push(record.line);
        if (record.cursor) cursor = record.cursor;
      }
      backoff = FIRST_BACKOFF;
      if (!out.length) return;
      try {
        sink(out, 'journal');
      } catch (error) {
        logger.error({ err: error, source: key }, 'error while handling journal lines');
      }
      options.positions?.setPosition(key, { cursor });
    });
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined;
      if (!running) return;
      const message = stderr.trim();
      if (cursor && /cursor/i.test(message)) {
        logger.warn(
          { source: key, stderr: message },
          'journalctl rejected the stored cursor; reading from the end of the journal',
        );
        cursor = undefined;
      }
      logger.warn(
        { source: key, code, signal, stderr: message },
        `journalctl exited (${code ?? signal}); restarting in ${backoff} ms`,
      );
      restartLater(bin, sink);
    });
    return new Promise((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (error) => {
        logger.error({ err: error, source: key }, `cannot run ${bin}: ${error.message}`);
        reject(new PortcullisError('SOURCE_FAILED', `cannot run ${bin}: ${error.message}`, { cause: error }));
      });
    });
  };

  return {
    id: key,
    async start(sink) {
      if (running) return;
      const bin = options.journalctl ?? findProgram('journalctl');
      if (!bin || !isExecutable(bin)) {
        throw new PortcullisError(
          'SOURCE_FAILED',
          `journalctl not found${bin ? ` at ${bin}` : ' on PATH'}: the journal backend needs it`,
          {
            hint: 'install systemd (journalctl), or set backend: file and a logpath for this jail',
          },
        );
      }
      running = true;
      try {
        await launch(bin, sink);
      } catch (error) {
        running = false;
        throw error;
      }
    },
    async stop() {
      running = false;
      clearTimeout(restartTimer);
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          resolve();
        }, 2000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    },
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
