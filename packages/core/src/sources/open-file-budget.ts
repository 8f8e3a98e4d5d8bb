import { readFileSync } from 'node:fs';

/**
 * Descriptors kept free for everything that is not a followed log: the control socket and its clients (64),
 * the store (SQLite and its journal), journalctl pipes, metrics, folder scans, Node's own. A daemon that spent
 * them all on log files could not even listen on its socket.
 */
const RESERVED = 128;

/** Used when the limit cannot be read (not Linux): Linux's usual soft limit. */
const FALLBACK_LIMIT = 1024;

/**
 * How many log files may be open at once: the process's open-file limit less what other parts need. Each
 * open log file takes one (`take`), given back when closed (`give`). File sources follow no more files than
 * fit; a rotation that needs a second descriptor for a while takes it when there is one and otherwise
 * finishes the old file at once.
 */
export class OpenFileBudget {
  private inUse = 0;

  constructor(readonly limit: number) {}

  /** Descriptors still free for log files. */
  get free(): number {
    return this.limit - this.inUse;
  }

  /** Take one descriptor; false when none is left (unless `force`: a short-lived open that must happen). */
  take(force = false): boolean {
    if (!force && this.inUse >= this.limit) return false;
    this.inUse++;
    return true;
  }

  give(): void {
    if (this.inUse > 0) this.inUse--;
  }
}

let processBudget: OpenFileBudget | undefined;

/** The budget of this process, from its soft `RLIMIT_NOFILE` (`ulimit -n`, systemd's `LimitNOFILE`). */
export function processFileBudget(): OpenFileBudget {
  if (!processBudget) {
    const limit = openFileLimit();
    processBudget = new OpenFileBudget(Math.max(1, limit - Math.min(RESERVED, Math.floor(limit / 2))));
  }
  return processBudget;
}

/** The soft open-file limit, read from `/proc/self/limits` (Node has no getrlimit). */
export function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : FALLBACK_LIMIT;
  } catch {
    return FALLBACK_LIMIT;
  }
}
