import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from './file-tail.js';
import { LogPaths } from './glob-paths.js';
import { type OpenFileBudget, openFileLimit, processFileBudget } from './open-file-budget.js';
import type { LineSink, LogSource, PositionStore } from '../contract/log-source.js';
import type { Logger } from '../util/logger.js';

/** Options of {@link createFileSource}. */
export interface FileSourceOptions {
  /** Paths or globs (`/var/log/nginx/*error.log`); globs are re-evaluated so new files are picked up. */
  readonly paths: readonly string[];
  readonly logger: Logger;
  /** Where positions are kept (key: the file path), so a restart neither re-reads nor skips lines. */
  readonly positions?: PositionStore | undefined;
  /** Read files present at start from their beginning instead of their end (when no position is stored). */
  readonly fromStart?: boolean | undefined;
  /** Stat poll interval (ms): the fallback when a watch event is missed. Default 1000. */
  readonly pollInterval?: number | undefined;
  /** Glob re-evaluation interval (ms); created files are also noticed at once through folder watches. Default 10000. */
  readonly globInterval?: number | undefined;
  /** Wait this long (ms) after a watch event before reading, to gather bursts into bigger batches. Default 0. */
  readonly batchDelay?: number | undefined;
  /** A rotated-away file is read until it has had no new line for this long (ms). Default 5000. */
  readonly drainTime?: number | undefined;
  /** Open log files allowed (shared by all sources). Default: the process's open-file limit less a reserve. */
  readonly budget?: OpenFileBudget | undefined;
}

/** Delay before re-expanding globs after a folder event, so a burst of creations costs one folder scan. */
const GLOB_SETTLE = 20;

/**
 * A log source over files. Each path (or glob match) is followed by a {@link FileTail}: `fs.watch` on the
 * file for appends, on its folder for creations and renames, and a stat poll as the fallback. Files present
 * at start begin at their end unless `fromStart` or a stored position says otherwise; files that appear
 * later are new logs and are read from their start. Lines reach the sink as `sink(lines, filePath)`.
 *
 * Positions (key: the path; `{ offset, dev, ino, headHash }`) are saved after every batch. At start a stored
 * offset is used when the file is the same (device+inode and first-line hash) or the same content moved to a
 * new inode (first-line hash). A file whose identity changed since the last run is the newer log and is read
 * from its beginning — after the rest of the old file, when rotation only renamed it in the same folder
 * (`auth.log.1`). Lines the old file got while we were stopped are lost only when it was also compressed or
 * removed, or when it rotated more than once.
 *
 * Every open log file takes a descriptor from an {@link OpenFileBudget} (by default the process's open-file
 * limit less a reserve for the control socket, the store and the rest): files that do not fit are not opened,
 * with one warning that gives their count, and are taken up as soon as room is made (a followed file deleted).
 */
export function createFileSource(options: FileSourceOptions): LogSource {
  const paths = new LogPaths(options.paths);
  const tails = new Map<string, FileTail>();
  const folderWatchers = new Map<string, FSWatcher>();
  const timers: NodeJS.Timeout[] = [];
  let globTimer: NodeJS.Timeout | undefined;
  let sink: LineSink | undefined;
  let running = false;
  const budget = options.budget ?? processFileBudget();
  /** Files present at start and not followed yet (no descriptor left). */
  const waiting = new Set<string>();
  let warnedSkipped = false;

  /** Said once when files are left out, and once when all are followed again: never once per file. */
  const reportSkipped = (skipped: number, found: number): void => {
    if (skipped > 0 && !warnedSkipped) {
      warnedSkipped = true;
      options.logger.warn(
        { paths: options.paths, skipped, found, limit: openFileLimit() },
        `${skipped} of the ${found} files matching ${options.paths.join(', ')} are not read: the open-file limit (${openFileLimit()}) leaves room for ${budget.limit} open logs in all; raise it (ulimit -n, systemd LimitNOFILE) to read them all`,
      );
    } else if (skipped === 0 && warnedSkipped) {
      warnedSkipped = false;
      options.logger.info({ paths: options.paths }, `all files matching ${options.paths.join(', ')} are read now`);
    }
  };

  const addTail = async (path: string, initial: boolean): Promise<void> => {
    const tail = new FileTail({
      path,
      logger: options.logger,
      positions: options.positions,
      startAt: initial && !options.fromStart ? 'end' : 'start',
      batchDelay: options.batchDelay,
      drainTime: options.drainTime,
      budget,
      deliver: (lines, origin) => sink?.(lines, origin),
    });
    tails.set(path, tail);
    await tail.start();
  };

  const sync = async (initial: boolean): Promise<void> => {
    const found = paths.expand();
    // Glob matches that are gone (a dated log deleted by logrotate) stop being followed, making room.
    const wanted = new Set(found);
    for (const [path, tail] of tails) {
      if (wanted.has(path) || !tail.gone) continue;
      tails.delete(path);
      await tail.close();
    }
    let skipped = 0;
    for (const path of found) {
      if (tails.has(path) || !running) continue;
      if (budget.free <= 0) {
        skipped++;
        if (initial) waiting.add(path);
        continue;
      }
      // A file left out at start for want of descriptors is an old log: it starts at its end as well.
      await addTail(path, initial || waiting.delete(path));
    }
    reportSkipped(skipped, found.length);
    for (const dir of paths.folders(tails.keys())) watchFolder(dir);
  };

  const syncSoon = (): void => {
    globTimer ??= setTimeout(() => {
      globTimer = undefined;
      if (running) void sync(false);
    }, GLOB_SETTLE);
  };

  const watchFolder = (dir: string): void => {
    if (folderWatchers.has(dir)) return;
    try {
      const watcher = watch(dir, { persistent: false }, (event, name) => {
        if (!name) {
          for (const tail of tails.values()) tail.notify();
          if (paths.hasGlobs) syncSoon();
          return;
        }
        tails.get(join(dir, name.toString()))?.notify();
        if (event === 'rename' && paths.hasGlobs) syncSoon();
      });
      watcher.on('error', () => {
        // The folder was removed: the poll timer watches it again once it is back.
        watcher.close();
        folderWatchers.delete(dir);
      });
      folderWatchers.set(dir, watcher);
    } catch {
      // Missing folder: the poll timer tries again.
    }
  };

  return {
    id: `file:${options.paths.join(',')}`,
    async start(s) {
      if (running) return;
      sink = s;
      running = true;
      await sync(true);
      timers.push(
        setInterval(() => {
          for (const tail of tails.values()) void tail.poll(true);
          for (const dir of paths.folders(tails.keys())) watchFolder(dir);
        }, options.pollInterval ?? 1000),
      );
      if (paths.hasGlobs) timers.push(setInterval(() => void sync(false), options.globInterval ?? 10_000));
    },
    async stop() {
      if (!running) return;
      running = false;
      for (const timer of timers) clearInterval(timer);
      timers.length = 0;
      clearTimeout(globTimer);
      globTimer = undefined;
      for (const watcher of folderWatchers.values()) watcher.close();
      folderWatchers.clear();
      await Promise.all([...tails.values()].map((tail) => tail.close()));
      tails.clear();
      waiting.clear();
      warnedSkipped = false;
      sink = undefined;
    },
  };
}
