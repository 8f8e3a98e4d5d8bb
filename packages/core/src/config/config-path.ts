/**
 * A path in the config as problems show it: keys joined with dots, array indexes in brackets
 * (`jails.sshd.ignoreip[0]`, `jails.web.actions[1].options.file`); `(root)` for the whole config.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}
