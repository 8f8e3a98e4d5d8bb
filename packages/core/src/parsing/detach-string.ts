import type { LogLine } from '../contract/log-line.js';

/**
 * V8 copies substrings shorter than this instead of keeping a view of their parent ("sliced" strings
 * start at 13 characters), so such a string holds no read buffer alive and needs no copy.
 */
const SLICE_MIN_LENGTH = 13;

/**
 * A copy of `s` that shares no memory with the string it was cut from. Lines are cut from 256 KiB read
 * chunks without copying (V8 keeps a "sliced" view), which is what makes parsing cheap — but a sliced
 * line kept for minutes (in a ban ticket, in correlation state) keeps its whole chunk alive. Whatever is
 * kept goes through here: the concatenation is flattened into a new string of its own length.
 */
export function detach(s: string): string {
  return s.length < SLICE_MIN_LENGTH ? s : (` ${s}`).slice(1);
}

/**
 * A copy of a line that keeps no read buffer alive (see {@link detach}): what a custom matcher or any
 * other code keeps beyond the current line (a line waiting for the next one of its process) must be this.
 */
export function detachLine(line: LogLine): LogLine {
  return { ...line, raw: detach(line.raw), message: detach(line.message), hostname: line.hostname && detach(line.hostname), program: line.program && detach(line.program), pid: line.pid && detach(line.pid) };
}
