import { defineConfig } from 'vitest/config';
const conditions = ['@portcullis/source', 'import', 'node', 'default'];
export default defineConfig({
  root: '/work/main',
  resolve: { conditions, alias: [{ find: /^@portcullis\/core\/engine$/, replacement: '/work/main/plugins/filter-sshd/.scratch/engine-shim.ts' }] },
  ssr: { resolve: { conditions, externalConditions: ['@portcullis/source'] } },
  test: { include: ['plugins/filter-sshd/test/*.test.ts', 'plugins/filter-sshd/.scratch/*.test.ts'], testTimeout: 60000 },
});
