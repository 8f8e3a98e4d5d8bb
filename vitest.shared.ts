import { defineProject } from 'vitest/config';
import type { ViteUserConfig } from 'vitest/config';

/**
 * Every package's vitest project: tests run against sources through the `@portcullis/source` export
 * condition, so nothing needs building first. Project configs don't inherit the root's resolve settings,
 * hence this shared factory.
 */
export function portcullisProject(name: string, test: NonNullable<ViteUserConfig['test']> = {}): ViteUserConfig {
  const conditions = ['@portcullis/source', 'module', 'node', 'development|production'];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@portcullis/source'] } },
    // Projects don't inherit the root's timeouts either: vitest's 5 s default fails CPU-heavy tests on a
    // loaded machine, so every project gets the root's generous limits unless it sets its own.
    test: { name, include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000, ...test },
  });
}
