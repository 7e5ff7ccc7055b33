/**
 * The shapes `patchbay bench` writes to bench/results/latest.json. One file per run: the machine,
 * the options, then one entry per scenario with its figures (each a median over repeated runs
 * with its spread) and its targets (met or not — a benchmark, never a failing test).
 */

/** How the whole run was asked for. */
export interface BenchOptions {
  /** Scenario ids to run, in order; empty means every scenario except soak. */
  scenarios: string[];
  /** Short runs (the smoke test; CI). */
  quick: boolean;
  /** Repetitions for micro scenarios (codec, models, compile); end-to-end ones run once unless given. */
  repeat: number | null;
  /** Soak duration in ms; null leaves the soak out. */
  soakMs: number | null;
  /** Install the aiortc peer's Debian packages when missing. */
  installPeer: boolean;
  /** Where latest.json and the dated copy go. */
  outDir: string;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
}

/** A measured figure: the median over `runs` repetitions and the spread across them. */
export interface Figure {
  key: string;
  label: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Repetitions the median is over. */
  runs: number;
  /** The floor this speed is compared with, measured in the same run. */
  floor?: { key: string; label: string; median: number; unit: string };
  /** median / floor.median (or as the label says). */
  ratio?: number;
}

/** A target from the issue, reported as met or not. */
export interface Target {
  name: string;
  /** The rule in words, e.g. "≤ 50 ms". */
  rule: string;
  value: number | null;
  unit: string;
  met: boolean | null;
}

export type ScenarioStatus = 'ok' | 'skipped' | 'error';

export interface ScenarioResult {
  id: string;
  number: number;
  title: string;
  status: ScenarioStatus;
  /** Why it was skipped or failed. */
  reason?: string;
  duration_s: number;
  figures: Figure[];
  targets: Target[];
  /** Notes on how it was measured in this run (sizes, runs, sources). */
  notes: string[];
  /** Raw per-run numbers, for whoever wants to look closer. */
  details?: Record<string, unknown>;
}

export interface MachineInfo {
  hostname: string;
  platform: string;
  cpu_model: string;
  cores: number;
  memory_gb: number;
  node: string;
  chromium: string | null;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  load_average_at_start: number;
}

export interface BenchReport {
  format: 'patchbay-bench';
  format_version: 1;
  started_at: string;
  finished_at: string;
  duration_s: number;
  machine: MachineInfo;
  options: { scenarios: string[]; quick: boolean; repeat: number | null; soak_s: number | null };
  scenarios: ScenarioResult[];
}

/** What a scenario gets: the options plus results of scenarios already run (to reuse floors). */
export interface ScenarioContext {
  options: BenchOptions;
  /** Results so far in this run, by id. */
  done: Map<string, ScenarioResult>;
  log: (line: string) => void;
}

/** Thrown by a scenario whose prerequisites are missing: reported as skipped with the reason. */
export class SkipScenario extends Error {
  override name = 'SkipScenario';
}

/** One benchmark scenario. `run` fills figures and targets; throwing SkipScenario skips it. */
export interface Scenario {
  id: string;
  number: number;
  title: string;
  /** Left out of a plain `npm run bench` (soak). */
  optIn?: boolean;
  run(ctx: ScenarioContext, result: ScenarioResult): Promise<void>;
}
