import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes of a file's start that identify it: its first line, or this much of it when the line is longer. */
export const HEAD_BYTES = 512;

/**
 * The identity of a log file's content: sha1 of its first line (at most {@link HEAD_BYTES} bytes).
 * Device and inode say which file a path is, but inodes are reused after a delete and a copy gets a new
 * one; the first line of a log carries a timestamp, so it tells a rotated-in file from the one we read
 * and recognises our file after a move. `undefined` while the file has no complete first line yet:
 * a hash of a half-written line would change when the line is finished.
 */
export async function headHash(handle: FileHandle): Promise<string | undefined> {
  const head = Buffer.allocUnsafe(HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
  const nl = head.subarray(0, bytesRead).indexOf(10);
  if (nl === -1 && bytesRead < HEAD_BYTES) return undefined;
  return createHash('sha1')
    .update(head.subarray(0, nl === -1 ? bytesRead : nl))
    .digest('hex');
}
