/**
 * The benchmark harness (`patchbay bench`, `npm run bench`): scenarios, the runner, the report.
 * See README.md for what each figure means and how it is measured.
 */
export {
  BENCH_USAGE,
  DEFAULT_OUT_DIR,
  SCENARIOS,
  parseBenchArgs,
  parseDuration,
  runBench,
  selectedScenarios,
} from './run';
export { formatReport, machineInfo, reportJson, writeReport } from './report';
export { figure, median, percentile, withFloor, atMost, atLeast } from './stats';
export { SkipScenario } from './types';
export type {
  BenchOptions,
  BenchReport,
  Figure,
  MachineInfo,
  Scenario,
  ScenarioContext,
  ScenarioResult,
  ScenarioStatus,
  Target,
} from './types';
