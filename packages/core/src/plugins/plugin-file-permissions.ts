import { realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PortcullisError } from '../util/errors.js';

/**
 * Refuse to import a plugin that someone other than root or the daemon's user could have changed, the
 * way sshd's StrictModes treats `authorized_keys`: a plugin runs with the daemon's privileges (root, to
 * touch the firewall), so whoever can write its file, or rename a folder above it, owns the host.
 *
 * Checked: the entry file and every folder up to `/`, both along the path as resolved and along its real
 * path (pnpm and `npm link` reach packages through symlinks). Each must be owned by root or `uid` and
 * not writable by group or others. A world-writable folder with the sticky bit (`/tmp`) passes: nobody
 * but an entry's owner can rename or remove it there. Runs before the plugin is imported, so
 * `check-config` refuses it without executing it.
 */
export function checkPluginFilePermissions(name: string, file: string, uid: number | undefined = process.geteuid?.()): void {
  if (uid === undefined) return; // no POSIX owners (Windows): nothing to compare against
  const problem = firstProblem(file, uid);
  if (!problem) return;
  const owners = uid === 0 ? 'root' : `root or uid ${uid} (the user portcullis runs as)`;
  throw new PortcullisError('PLUGIN_UNSAFE', `refusing plugin ${name}: ${problem.path} ${problem.text}; a plugin runs with the daemon's privileges, so it and every folder above it must be owned by ${owners} and writable by nobody else`, {
    hint: `fix the owner or mode of ${problem.path} (chown root: / chmod go-w), or install the plugin somewhere only root can write`,
  });
}

interface Problem {
  readonly path: string;
  readonly text: string;
}

function firstProblem(file: string, uid: number): Problem | undefined {
  const absolute = resolve(file);
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    return undefined; // a missing file is reported by the import that follows
  }
  const seen = new Set<string>();
  for (const start of [absolute, real]) {
    for (let path = start; ; path = dirname(path)) {
      if (!seen.has(path)) {
        seen.add(path);
        const problem = checkOne(path, uid);
        if (problem) return problem;
      }
      if (dirname(path) === path) break;
    }
  }
  return undefined;
}

function checkOne(path: string, uid: number): Problem | undefined {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  if (st.uid !== 0 && st.uid !== uid) return { path, text: `is owned by uid ${st.uid}` };
  const writable = Number(st.mode) & 0o022;
  const sticky = st.isDirectory() && (Number(st.mode) & 0o1000) !== 0;
  if (writable && !sticky) {
    const who = writable === 0o022 ? 'group and others' : writable & 0o020 ? 'its group' : 'others';
    return { path, text: `is writable by ${who} (mode ${(Number(st.mode) & 0o7777).toString(8).padStart(4, '0')})` };
  }
  return undefined;
}
