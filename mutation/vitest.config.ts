import { join } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { portcullisProject } from '../vitest.shared.js';

const repo = join(import.meta.dirname, '..');

/**
 * Stryker's vitest runner asks for worker threads; the default run uses forks, and date tests rely on it
 * (assigning process.env.TZ changes the zone in a process, not in a worker thread). Set after Stryker's
 * options are applied, so every project runs in forks as it does in `pnpm test`.
 */
const forks: Plugin = {
  name: 'portcullis-mutation-forks',
  configureVitest({ project }) {
    (project.config as { pool: string }).pool = 'forks';
  },
};

const project = (name: string, root: string, include?: string[]) => {
  const config = portcullisProject(name, { root: join(repo, root), ...(include ? { include } : {}) });
  return { ...config, plugins: [forks] };
};

// The suites that mutation testing runs: core's unit tests, the sshd filter's, the nftables action's (its
// script builder is in the ban group; its tests drive the real kernel in a namespace), and the runtime tests of
// the top-level suite, which drive jails in-process through real log files. Daemon suites are left out: they
// run the built `dist/`, which mutants never reach.
export default defineConfig({
  ssr: { resolve: { conditions: ['@portcullis/source'] } },
  resolve: { conditions: ['@portcullis/source'] },
  test: {
    projects: [project('core', 'packages/core'), project('filter-sshd', 'plugins/filter-sshd'), project('action-nftables', 'plugins/action-nftables'), project('runtime', 'test', ['runtime.test.ts'])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
