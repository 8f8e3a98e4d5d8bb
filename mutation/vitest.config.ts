import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { portcullisProject } from '../vitest.shared.js';

const repo = join(import.meta.dirname, '..');

// The suites that mutation testing runs (paths from the repository root, where Stryker runs): core's unit
// tests, the sshd filter's, and the runtime tests of the top-level suite, which drive jails in-process
// through real log files. Daemon suites are left out: they run the built `dist/`, which mutants never reach.
export default defineConfig({
  ssr: { resolve: { conditions: ['@portcullis/source'] } },
  resolve: { conditions: ['@portcullis/source'] },
  test: {
    projects: [
      portcullisProject('core', { root: join(repo, 'packages/core') }),
      portcullisProject('filter-sshd', { root: join(repo, 'plugins/filter-sshd') }),
      portcullisProject('runtime', { root: join(repo, 'test'), include: ['runtime.test.ts'] }),
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
