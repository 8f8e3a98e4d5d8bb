// @ts-check
/**
 * Mutation testing of the modules whose bugs users meet first: failure tracking and detection, the jail
 * and its bans, address parsing and matching, dates and durations, the config loader, the sshd filter.
 * Run by `pnpm test:mutation [group…]` (mutation/run.mjs), one group at a time; each group keeps its own
 * incremental file, so a rerun only tests the mutants whose code or tests changed.
 */
export const groups = {
  tracking: ['packages/core/src/jail/failure-tracker.ts', 'packages/core/src/jail/maxretry-detector.ts', 'packages/core/src/jail/detection.ts'],
  jail: ['packages/core/src/jail/jail.ts', 'packages/core/src/jail/current-bans.ts', 'packages/core/src/jail/unban-schedule.ts'],
  address: ['packages/core/src/jail/address-matcher.ts', 'packages/core/src/util/ip-address.ts', 'packages/core/src/util/ip-network.ts'],
  dates: ['packages/core/src/parsing/date-detector.ts', 'packages/core/src/util/duration.ts'],
  config: ['packages/core/src/compose/load-config.ts', 'packages/core/src/config/config-schema.ts'],
  sshd: ['plugins/filter-sshd/src/**/*.ts'],
};

const group = process.env.MUTATION_GROUP ?? 'address';
const mutate = groups[/** @type {keyof typeof groups} */ (group)];
if (!mutate) throw new Error(`unknown mutation group ${group}: one of ${Object.keys(groups).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'mutation/vitest.config.ts', related: true },
  mutate,
  // Mutants are written into the tree itself: the workspace links between packages point at the real
  // sources, so a sandbox copy would test the originals. Stryker restores every file when it ends.
  inPlace: true,
  // Nothing type-checks mutants (vitest strips types), so no file needs Stryker's `// @ts-nocheck`.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // The machine is shared: one test process at a time.
  concurrency: 1,
  timeoutMS: 20_000,
  incremental: true,
  incrementalFile: `reports/mutation/${group}.incremental.json`,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: `reports/mutation/${group}.json` },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false, reportScoreTable: true },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
