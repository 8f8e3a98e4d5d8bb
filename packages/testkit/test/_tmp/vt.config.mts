import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'], alias: [{ find: /^@portcullis\/core\/engine$/, replacement: '/tmp/benchcli/engine-full-shim.ts' }] },
  ssr: { resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'], externalConditions: ['@portcullis/source'] } },
  test: { include: ['packages/testkit/test/*.test.ts', 'apps/portcullis/test/test-filter*.test.ts'], testTimeout: 60000 },
});
