import { defineConfig } from 'vitest/config';
export default defineConfig({
  root: '/work/main',
  ssr: { resolve: { conditions: ['@portcullis/source'] } },
  resolve: { conditions: ['@portcullis/source'], alias: [{ find: /^@portcullis\/core\/engine$/, replacement: '/work/main/plugins/filter-apache/test/_scratch/engine-lite.ts' }] },
  test: { include: ['plugins/filter-vsftpd/test/*.test.ts'], exclude: ['**/scratch*.test.ts'] },
});
