import { readFileSync } from 'node:fs';

/** The app's version, read from its package.json (one place to bump: the changeset). */
export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
