import { portcullisProject } from '../vitest.shared.js';

// Cross-package and end-to-end suites: one file at a time (they share namespaces, ports and the CPU).
export default portcullisProject('e2e', {
  include: ['**/*.test.ts'],
  exclude: ['**/node_modules/**', '.tmp*/**'],
  fileParallelism: false,
  testTimeout: 120_000,
  hookTimeout: 120_000,
});
