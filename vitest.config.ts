import { defineConfig } from 'vitest/config';

// One root config; every package is a project so `vitest run` at the root runs everything.
export default defineConfig({
  ssr: { resolve: { conditions: ['@portcullis/source'] } },
  resolve: { conditions: ['@portcullis/source'] },
  test: {
    projects: ['packages/*', 'plugins/*', 'apps/*', 'test'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
