// @portcullis/testkit: what plugin test suites use — annotated fixture checks, hostile inputs, action contract.
export { checkFilterFixture, describeFailure, type FixtureResult } from './check-fixture.js';
export { parseFixture, parsePairs, type FixtureItem, type Expectation } from './fixture-file.js';
export { checkHostile, optionCombinations, type HostileResult } from './check-hostile.js';
export { fixtureFilesFor, uncoveredRules } from './fixture-dir.js';
export { hostileLines, injectionLines, MARKER_ADDRESSES, HOSTILE_LINE_LENGTH } from './hostile-lines.js';
export {
  checkActionContract,
  makeTicket,
  createRecorder,
  type ActionContractOptions,
  type ActionContractResult,
  type RecordedCall,
} from './action-contract.js';
