import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Find an executable on PATH or in the sbin folders (root's tools are there even when PATH lacks them). */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}
