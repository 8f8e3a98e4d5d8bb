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
    test: { name, include: ['test/**/*.test.ts'], ...test },
  });
}
