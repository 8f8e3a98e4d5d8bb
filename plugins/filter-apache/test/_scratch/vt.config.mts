import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'] },
  ssr: { resolve: { conditions: ['@portcullis/source', 'import', 'node', 'default'], externalConditions: ['@portcullis/source'] } },
  test: { include: ['plugins/filter-{vsftpd,lighttpd,apache}/test/scratch*.test.ts'], testTimeout: 60000 },
});
