// @ts-check
/**
 * Mutation testing of the modules whose bugs users meet first: failure tracking and detection, the jail
 * and its bans, address parsing and matching, dates and durations, the config loader, the sshd filter.
 * Run by `pnpm test:mutation [group…]` (mutation/run.mjs), one group at a time; each group keeps its own
 * incremental file, so a rerun only tests the mutants whose code or tests changed.
 */
/** Each group: the files it mutates and the test files that must kill their mutants. */
export const groups = {
  tracking: {
    mutate: ['packages/core/src/jail/failure-tracker.ts', 'packages/core/src/jail/maxretry-detector.ts', 'packages/core/src/jail/detection.ts'],
    tests: ['packages/core/test/failure-tracker.test.ts', 'packages/core/test/failure-tracker-model.test.ts', 'packages/core/test/detection.test.ts', 'packages/core/test/properties.test.ts', 'packages/core/test/findtime-window.test.ts', 'packages/core/test/jail.test.ts', 'test/runtime.test.ts'],
  },
  jail: {
    mutate: ['packages/core/src/jail/jail.ts', 'packages/core/src/jail/current-bans.ts', 'packages/core/src/jail/unban-schedule.ts'],
    tests: ['packages/core/test/jail.test.ts', 'packages/core/test/jail-operations.test.ts', 'packages/core/test/current-bans.test.ts', 'packages/core/test/current-bans-model.test.ts', 'packages/core/test/unban-schedule.test.ts', 'packages/core/test/findtime-window.test.ts', 'test/runtime.test.ts'],
  },
  address: {
    mutate: ['packages/core/src/jail/address-matcher.ts', 'packages/core/src/util/ip-address.ts', 'packages/core/src/util/ip-network.ts'],
    tests: ['packages/core/test/ip-address.test.ts', 'packages/core/test/ip-network.test.ts', 'packages/core/test/address-matcher.test.ts', 'packages/core/test/properties.test.ts', 'packages/core/test/address-properties.test.ts'],
  },
  dates: {
    mutate: ['packages/core/src/parsing/date-detector.ts', 'packages/core/src/util/duration.ts'],
    tests: ['packages/core/test/date-detector.test.ts', 'packages/core/test/date-pattern.test.ts', 'packages/core/test/datepattern-config.test.ts', 'packages/core/test/line-parser.test.ts', 'packages/core/test/properties.test.ts', 'packages/core/test/date-round-trips.test.ts', 'packages/core/test/date-detector-model.test.ts', 'packages/core/test/duration.test.ts', 'packages/core/test/config-durations.test.ts'],
  },
  config: {
    mutate: ['packages/core/src/compose/load-config.ts', 'packages/core/src/config/config-schema.ts'],
    tests: ['packages/core/test/load-config.test.ts', 'packages/core/test/config-validation.test.ts', 'packages/core/test/config-filters.test.ts', 'packages/core/test/datepattern-config.test.ts', 'packages/core/test/config-problem-lines.test.ts', 'packages/core/test/config-composition.test.ts', 'packages/core/test/config-durations.test.ts'],
  },
  ban: {
    mutate: ['packages/core/src/actions/action-runner.ts', 'packages/core/src/actions/dry-run-action.ts', 'plugins/action-nftables/src/nft-script.ts'],
    tests: ['packages/core/test/action-runner.test.ts', 'packages/core/test/action-runner-failures.test.ts', 'packages/core/test/dry-run-action.test.ts', 'plugins/action-nftables/test/nft-script.test.ts', 'packages/core/test/jail-operations.test.ts', 'plugins/action-nftables/test/nftables.test.ts', 'plugins/action-nftables/test/nftables-networks.test.ts'],
  },
  sshd: {
    mutate: ['plugins/filter-sshd/src/**/*.ts'],
    tests: ['plugins/filter-sshd/test/*.test.ts'],
  },
};

const group = process.env.MUTATION_GROUP ?? 'address';
const chosen = groups[/** @type {keyof typeof groups} */ (group)];
if (!chosen) throw new Error(`unknown mutation group ${group}: one of ${Object.keys(groups).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'mutation/vitest.config.ts', related: true },
  mutate: chosen.mutate,
  // The group's own tests (not every test that happens to reach the code) are chosen in vitest.config.ts, not
  // with Stryker's `testFiles`: that option switches static mutants on only after their module has loaded.
  // Mutants are written into the tree itself: the workspace links between packages point at the real
  // sources, so a sandbox copy would test the originals. Stryker restores every file when it ends.
  inPlace: true,
  // Nothing type-checks mutants (vitest strips types), so no file needs Stryker's `// @ts-nocheck`.
  disableTypeChecks: false,
  coverageAnalysis: 'perTest',
  // The machine is shared: at most two test processes.
  concurrency: 2,
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
