import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SourcePosition } from '../contract/log-source.js';

/** Siblings looked at: a folder of thousands of rotated logs is not worth a stat storm at start. */
const MAX_CANDIDATES = 64;

/**
 * Find where the file a stored position belongs to went while we were not running: logrotate renames
 * `auth.log` to `auth.log.1` (or `auth.log-20240101`) in the same folder, keeping device and inode.
 * Returns its path when it still has lines past the stored offset, so they can be read before the new
 * file; `undefined` when it is gone, compressed (a new inode) or fully read.
 */
export async function findRotated(path: string, stored: SourcePosition): Promise<string | undefined> {
  if (stored.ino === undefined || stored.dev === undefined || stored.offset === undefined) return undefined;
  const dir = dirname(path);
  const name = basename(path);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return undefined;
  }
  const candidates = entries.filter((e) => e !== name && e.startsWith(name)).slice(0, MAX_CANDIDATES);
  for (const entry of candidates) {
    const candidate = join(dir, entry);
    try {
      const st = await stat(candidate);
      if (st.isFile() && st.ino === stored.ino && st.dev === stored.dev && st.size > stored.offset)
        return candidate;
    } catch {
      // removed meanwhile
    }
  }
  return undefined;
}
