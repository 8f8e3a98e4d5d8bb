import { join } from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { portcullisProject } from '../vitest.shared.js';
import { groups } from './stryker.config.mjs';

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

/**
 * Stryker runs one file at a time and stops at the first failing test. Vitest's default order puts the
 * slowest files first, so a mutant a unit test kills in milliseconds waited for the kernel and runtime
 * suites before it; here the files that drive real parts (network namespaces, log files through whole
 * jails, ~850 hostile lines per mode) go last. Only the order changes: every file still runs for a survivor.
 */
const SLOW = /\/(?:nftables(?:-networks)?|runtime|injection|jail-operations)\.test\.ts$/;
class FastFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const slow = (f: TestSpecification) => (SLOW.test(f.moduleId) ? 1 : 0);
    return (await super.sort(files)).sort((a, b) => slow(a) - slow(b));
  }
}

/**
 * The group's own test files, given to vitest rather than to Stryker: with Stryker's `testFiles` option set,
 * Stryker 9.6 plans every static mutant (code that runs when a module loads: tables, schemas, rule lists) with
 * runtime activation, switched on after the module has loaded, so those mutants survived whatever the tests
 * checked. Without the option a static mutant runs every test of this config in fresh workers with the mutant
 * active from the start.
 */
const group = groups[(process.env.MUTATION_GROUP ?? 'address') as keyof typeof groups];
if (!group) throw new Error(`unknown mutation group ${process.env.MUTATION_GROUP}`);

const project = (name: string, root: string) => {
  const include = group.tests.filter((t) => t.startsWith(`${root}/`)).map((t) => t.slice(root.length + 1));
  if (include.length === 0) return undefined;
  const config = portcullisProject(name, { root: join(repo, root), include });
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
    projects: [
      project('core', 'packages/core'),
      project('filter-sshd', 'plugins/filter-sshd'),
      project('action-nftables', 'plugins/action-nftables'),
      project('runtime', 'test'),
    ].filter((p) => p !== undefined),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { sequencer: FastFilesFirst },
  },
});
