import { W_OK } from 'node:constants';
import { accessSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Why the daemon could not append to `logfile` (start would refuse), as config problem lines: the folder
 * is missing, the path is not a regular file, or this user may not write it.
 */
export function logFileProblems(path: string): string[] {
  let target = path;
  try {
    if (!statSync(path).isFile()) return [`logfile: ${path} exists and is not a regular file`];
  } catch {
    target = dirname(path);
    try {
      if (!statSync(target).isDirectory()) return [`logfile: ${target} is not a folder`];
    } catch {
      return [`logfile: the folder ${target} does not exist`];
    }
  }
  try {
    accessSync(target, W_OK);
  } catch {
    return [`logfile: ${target} is not writable by this user`];
  }
  return [];
}
