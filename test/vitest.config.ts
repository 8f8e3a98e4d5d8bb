import { defineProject } from 'vitest/config';

export default defineProject({
  extends: true,
  test: { name: 'e2e', include: ['**/*.test.ts'], exclude: ['**/node_modules/**'], fileParallelism: false, testTimeout: 120_000, hookTimeout: 120_000 },
});
