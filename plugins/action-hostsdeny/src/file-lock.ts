import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The lock file that serialises our writers of `file` (other portcullis instances, in or out of this process). */
export function lockPath(file: string): string {
  return `${file}.portcullis-lock`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock whose holder died is broken; so is one that is older than `staleMs` (holder hung or in another pid ns). */
async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = Number.parseInt(text, 10);
    if (Date.now() - info.mtimeMs > staleMs) return true;
    return Number.isInteger(pid) && pid > 0 && !alive(pid);
  } catch {
    return false; // vanished or half-written: just try again
  }
}

/**
 * Run `fn` while holding an exclusive lock file next to `file` (created with O_EXCL, holds our pid). Waits up
 * to `timeoutMs` for another holder, then fails so the engine retries the batch later. Only writers that use
 * the same lock are serialised; foreign editors are handled by the re-read checks in the rewrite itself.
 */
export async function withFileLock<T>(file: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const path = lockPath(file);
  const deadline = Date.now() + timeoutMs;
  const staleMs = Math.max(timeoutMs * 3, 30_000);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        throw new Error(`hostsdeny: cannot create lock file ${path}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (await isStale(path, staleMs)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `hostsdeny: ${path} is held by another writer for more than ${timeoutMs} ms (remove it if no portcullis is running)`,
        );
      }
      // Short random back-off: holders keep the lock for a few milliseconds.
      await sleep(Math.min(2 + Math.random() * 2 * Math.min(attempt + 1, 10), 25));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
