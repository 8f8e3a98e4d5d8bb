import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Turns the current file text into the wanted text; returning the same text means "nothing to do". */
export type TextEdit = (text: string) => string;

/** How {@link rewriteFile} replaces the content. */
export type RewriteMode = 'rename' | 'inplace';

const MAX_ATTEMPTS = 20;
/** How long to keep watching the replaced inode for a late append by a writer that opened it before our rename. */
const LATE_APPEND_GRACE_MS = 5;

async function readAll(handle: FileHandle, from = 0): Promise<Buffer> {
  const { size } = await handle.stat();
  const chunks: Buffer[] = [];
  let position = from;
  for (;;) {
    const buffer = Buffer.alloc(Math.max(size - position, 0) + 4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return Buffer.concat(chunks);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined); // some file systems refuse fsync on directories
  await handle.close();
}

/**
 * Replace `file` by a new file written next to it (same owner and mode), fsynced, then renamed over it.
 * Concurrent foreign editors: right before the rename the file is re-read; when it was rewritten (not just
 * appended to) the whole edit is redone on the new content. Appends are the common case (`echo … >>`): bytes
 * appended to the old inode — before the rename or by a writer that still had it open — are read back through
 * our open descriptor and appended to the new file, until the old inode stops growing. What is left is a writer
 * that keeps the old file open and writes after that grace period; no lock-free scheme closes that.
 */
async function rewriteByRename(file: string, edit: TextEdit): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const old = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    try {
      const before = old ? await readAll(old) : Buffer.alloc(0);
      const current = before.toString('utf8');
      const wanted = edit(current);
      if (wanted === current) return false;
      const info = old ? await old.stat() : undefined;
      const temp = join(
        dirname(file),
        `.${basename(file)}.portcullis-${process.pid}-${randomBytes(4).toString('hex')}`,
      );
      const out = await open(temp, 'wx', 0o600);
      try {
        await out.writeFile(wanted);
        if (info && process.getuid?.() === 0) await out.chown(info.uid, info.gid);
        await out.chmod(info ? info.mode & 0o7777 : 0o644);
        await out.sync();
      } finally {
        await out.close();
      }
      if (!(await unchangedExceptAppends(file, before, info?.ino))) {
        await unlink(temp).catch(() => undefined);
        continue; // rewritten or replaced under us: redo the edit on the new content
      }
      await rename(temp, file);
      if (old) await carryLateAppends(old, before.length, file);
      await syncDir(dirname(file));
      return true;
    } finally {
      await old?.close();
    }
  }
  throw new Error(
    `hostsdeny: ${file} kept being rewritten while we edited it (${MAX_ATTEMPTS} attempts); will retry`,
  );
}

/** True when `file` is still the inode we read and its content is `before` plus possibly appended bytes. */
async function unchangedExceptAppends(
  file: string,
  before: Buffer,
  ino: number | undefined,
): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return ino === undefined;
  try {
    if (ino !== undefined && (await handle.stat()).ino !== ino) return false;
    const now = await readAll(handle);
    return now.length >= before.length && now.subarray(0, before.length).equals(before);
  } finally {
    await handle.close();
  }
}

/** Copy what was appended to the replaced inode (after `offset`) onto the end of the new file. */
async function carryLateAppends(old: FileHandle, offset: number, file: string): Promise<void> {
  let position = offset;
  let quietChecks = 0;
  while (quietChecks < 2) {
    const late = await readAll(old, position);
    if (late.length === 0) {
      quietChecks++;
      if (quietChecks < 2) await sleep(LATE_APPEND_GRACE_MS);
      continue;
    }
    quietChecks = 0;
    position += late.length;
    const target = await open(file, 'a');
    try {
      await target.write(late);
      await target.sync();
    } finally {
      await target.close();
    }
  }
}

/**
 * Rewrite the content of the existing inode (for bind-mounted files, where a rename would not be seen).
 * Re-reads right before writing and redoes the edit when the content changed; not atomic for readers (a
 * daemon may read a half-written file for a moment) — that is the price of keeping the inode.
 */
async function rewriteInPlace(file: string, edit: TextEdit): Promise<boolean> {
  const handle = await open(file, 'r+').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await (await open(file, 'a', 0o644)).close(); // create without truncating a file that just appeared
    return open(file, 'r+');
  });
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const before = await readAll(handle);
      const current = before.toString('utf8');
      const wanted = edit(current);
      if (wanted === current) return false;
      const data = Buffer.from(wanted, 'utf8');
      if (!(await readAll(handle)).equals(before)) continue;
      await handle.write(data, 0, data.length, 0);
      await handle.truncate(data.length);
      await handle.sync();
      return true;
    }
  } finally {
    await handle.close();
  }
  throw new Error(
    `hostsdeny: ${file} kept changing while we rewrote it (${MAX_ATTEMPTS} attempts); will retry`,
  );
}

/** Apply `edit` to `file` with the chosen mode; resolves true when the file was changed. */
export function rewriteFile(file: string, mode: RewriteMode, edit: TextEdit): Promise<boolean> {
  return mode === 'inplace' ? rewriteInPlace(file, edit) : rewriteByRename(file, edit);
}
