import { type FSWatcher, readdirSync, watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import picomatch from 'picomatch';
import { FileTail } from './file-tail.js';
import type { LineSink, LogSource, PositionStore } from './log-source.js';
import type { Logger } from './logger.js';

/** Options of {@link createFileSource}. */
export interface FileSourceOptions {
  /** Paths or globs (`/var/log/nginx/*error.log`); globs are re-evaluated so new files are picked up. */
  readonly paths: readonly string[];
  readonly logger: Logger;
  readonly positions?: PositionStore | undefined;
  /** Read files present at start from their beginning instead of their end (when no position is stored). */
  readonly fromStart?: boolean | undefined;
  /** Stat poll interval (ms), the fallback when inotify misses something. Default 1000. */
  readonly pollInterval?: number | undefined;
  /** Glob re-evaluation interval (ms). Default 10000. */
  readonly globInterval?: number | undefined;
}

/**
 * A log source over files: each path or glob match is followed by a {@link FileTail} (inotify through
 * `fs.watch`, plus a stat poll), and the folders are watched so created and renamed files are noticed
 * at once. Files present at start begin at their end (or their stored position); files that appear
 * later are new logs and are read from their start.
 */
export function createFileSource(options: FileSourceOptions): LogSource {
  const tails = new Map<string, FileTail>();
  const dirWatchers = new Map<string, FSWatcher>();
  const timers: NodeJS.Timeout[] = [];
  let sink: LineSink | undefined;
  let started = false;
  const globs = options.paths.filter((p) => picomatch.scan(p).isGlob);
  const plain = options.paths.filter((p) => !picomatch.scan(p).isGlob);

  const expand = (): string[] => {
    const found = new Set(plain);
    for (const g of globs) {
      const dir = dirname(g);
      const match = picomatch(basename(g), { dot: true });
      try {
        for (const f of readdirSync(dir)) if (match(f)) found.add(join(dir, f));
      } catch {
        // the folder does not exist yet: checked again later
      }
    }
    return [...found];
  };

  const sync = async (initial: boolean): Promise<void> => {
    for (const path of expand()) {
      if (tails.has(path)) continue;
      const tail = new FileTail(path, (lines, origin) => sink?.(lines, origin), options.logger, options.positions, initial && !options.fromStart ? 'end' : 'start');
      tails.set(path, tail);
      await tail.start();
    }
    for (const dir of new Set(options.paths.map((p) => dirname(p)))) watchDir(dir);
  };

  const watchDir = (dir: string): void => {
    if (dirWatchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (globs.length) void sync(false);
        const path = name ? join(dir, name.toString()) : undefined;
        const tail = path ? tails.get(path) : undefined;
        if (tail) void tail.poll();
        else if (!name) for (const t of tails.values()) void t.poll();
      });
      w.on('error', () => {
        w.close();
        dirWatchers.delete(dir);
      });
      dirWatchers.set(dir, w);
    } catch {
      // the folder does not exist yet; the poll and glob timers keep looking
    }
  };

  return {
    id: `file:${options.paths.join(',')}`,
    async start(s) {
      sink = s;
      started = true;
      await sync(true);
      timers.push(
        setInterval(() => {
          for (const t of tails.values()) void t.poll();
          for (const dir of new Set(options.paths.map((p) => dirname(p)))) watchDir(dir);
        }, options.pollInterval ?? 1000),
      );
      if (globs.length) timers.push(setInterval(() => void sync(false), options.globInterval ?? 10_000));
    },
    async stop() {
      if (!started) return;
      started = false;
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      for (const w of dirWatchers.values()) w.close();
      dirWatchers.clear();
      await Promise.all([...tails.values()].map((t) => t.close()));
      tails.clear();
      sink = undefined;
    },
  };
}
