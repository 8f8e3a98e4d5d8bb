import { join } from 'node:path';
import { expect } from 'vitest';
import { parseConfig } from '../src/compose/load-config.js';
import { PortcullisError } from '../src/util/errors.js';

/** The test plugin the config tests load (filter `demo`, action `recorder`). */
export const testPlugin: string = join(import.meta.dirname, 'fixtures/config/test-plugin.mjs');

/**
 * The problem lines `parseConfig` refuses `raw` with (as start and check-config print them), for a config
 * in `dir`; fails the test if it loads.
 */
export async function problems(raw: unknown, dir: string = import.meta.dirname): Promise<readonly string[]> {
  const error = await parseConfig(raw, { dir }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PortcullisError);
  expect((error as PortcullisError).code).toBe('CONFIG_INVALID');
  return (error as PortcullisError).problems;
}
