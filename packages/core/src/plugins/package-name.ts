/**
 * Whether `name` can be an npm package name (npm's rules for new packages: lowercase, URL-safe, at most 214
 * characters, an optional `@scope/`): only such a name gets an `npm install` hint — never a regex, a
 * sentence or a file path that landed where a package name belongs.
 */
export function isPackageName(name: string): boolean {
  if (name.length === 0 || name.length > 214) return false;
  return /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name);
}

/** Whether a plugin entry names a file rather than a package (`./x.mjs`, `../x`, `/abs/x.js`). */
export function isPluginPath(name: string): boolean {
  return name.startsWith('.') || name.startsWith('/');
}
