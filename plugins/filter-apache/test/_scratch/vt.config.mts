import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'], alias: [{ find: /^@portcullis\/core\/engine$/, replacement: '/work/main/plugins/filter-apache/test/_scratch/engine-lite.ts' }] },
  ssr: { resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'], externalConditions: ['@portcullis/source'] } },
  test: { include: ['plugins/filter-{vsftpd,lighttpd,apache}/test/*.test.ts'], exclude: ['**/scratch.test.ts'], testTimeout: 60000 },
});
