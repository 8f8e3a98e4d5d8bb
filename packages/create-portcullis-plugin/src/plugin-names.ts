/** Names derived from the package name the user chose. */
export interface PluginNames {
  /** npm package name, e.g. `portcullis-filter-gameserver` or `@acme/portcullis-action-webhook`. */
  readonly packageName: string;
  /** Filter or action id, e.g. `gameserver`. */
  readonly id: string;
  /** Identifier for the exported constant, e.g. `gameserver`. */
  readonly identifier: string;
}

const VALID = /^(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** Derive the id from a package name: drop the scope and `portcullis-`, `filter-`, `action-` prefixes. */
export function pluginNames(packageName: string): PluginNames {
  if (!VALID.test(packageName)) {
    throw new Error(`"${packageName}" is not a valid npm package name (lower case, digits, - . _, optional @scope/)`);
  }
  const bare = packageName.replace(/^@[^/]+\//, '');
  const id = bare.replace(/^portcullis-/, '').replace(/^(?:filter|action)-/, '') || bare;
  const identifier = id.replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')).replace(/^[0-9]/, '_$&');
  return { packageName, id, identifier };
}
