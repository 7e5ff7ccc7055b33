import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo, writeReport } from './report';
import { codecScenario } from './scenarios/codec';
import { compileScenario } from './scenarios/compile';
import { modelsScenario } from './scenarios/models';
import { passthroughScenario } from './scenarios/passthrough';
import { liveEditScenario } from './scenarios/live-edit';
import { editorScenario } from './scenarios/editor';
import { soakScenario } from './scenarios/soak';
import { relayScenario } from './scenarios/relay';
import { abuseScenario } from './scenarios/abuse';
import { ioScenario } from './scenarios/io';
import {
  SkipScenario,
  type BenchOptions,
  type BenchReport,
  type Scenario,
  type ScenarioResult,
} from './types';

/** Every scenario in the order they run (floors first, so later ones reuse them). */
export const SCENARIOS: readonly Scenario[] = [
  codecScenario,
  passthroughScenario,
  modelsScenario,
  liveEditScenario,
  compileScenario,
  editorScenario,
  soakScenario,
  relayScenario,
  abuseScenario,
  ioScenario,
];

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_OUT_DIR = join(BENCH_DIR, 'results');

/** Parses "10m", "30s", "500ms" or plain seconds into ms; null when invalid. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const v = Number(m[1]);
  const ms = m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : m[2] === 'h' ? v * 3_600_000 : v * 1000;
  return ms >= 1000 && ms <= 24 * 3_600_000 ? ms : null;
}

export const BENCH_USAGE =
  'bench [SCENARIO…] [--quick] [--repeat N] [--soak DURATION] [--install-peer] [--out DIR] [--list]';

/**
 * Parses `patchbay bench` arguments. Scenario names are ids (`codec`) or numbers (`1`).
 * Returns the options, `{list: true}`, `{help: true}` or `{error}` naming what is wrong.
 */
export function parseBenchArgs(
  args: string[],
  log: (line: string) => void = () => {},
): BenchOptions | { error: string } | { help: true } | { list: true } {
  const o: BenchOptions = {
    scenarios: [],
    quick: false,
    repeat: null,
    soakMs: null,
    installPeer: false,
    outDir: DEFAULT_OUT_DIR,
    log,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    switch (arg) {
      case '-h':
      case '--help':
        return { help: true };
      case '--list':
        return { list: true };
      case '--quick':
        o.quick = true;
        break;
      case '--install-peer':
        o.installPeer = true;
        break;
      case '--repeat': {
        const v = args[++i];
        const n = Number(v);
        if (!v || !Number.isInteger(n) || n < 1 || n > 100)
          return { error: `--repeat takes a whole number from 1 to 100 (got "${v ?? ''}")` };
        o.repeat = n;
        break;
      }
      case '--soak': {
        const v = args[++i] ?? '';
        const ms = parseDuration(v);
        if (ms === null)
          return { error: `--soak takes a duration from 1s to 24h like 10m or 90s (got "${v}")` };
        o.soakMs = ms;
        break;
      }
      case '--out': {
        const v = args[++i];
        if (!v) return { error: '--out takes a folder' };
        o.outDir = v;
        break;
      }
      default: {
        if (arg.startsWith('-')) return { error: `unknown option "${arg}"` };
        const s = SCENARIOS.find((x) => x.id === arg || String(x.number) === arg);
        if (!s)
          return {
            error: `unknown scenario "${arg}"; scenarios: ${SCENARIOS.map((x) => `${x.number} ${x.id}`).join(', ')}`,
          };
        if (!o.scenarios.includes(s.id)) o.scenarios.push(s.id);
      }
    }
  }
  if (
    o.soakMs !== null &&
    !o.scenarios.includes('soak') &&
    o.scenarios.length > 0 &&
    SCENARIOS.some((s) => s.id === 'soak')
  )
    o.scenarios.push('soak');
  return o;
}

/** The scenarios a set of options selects, in run order. */
export function selectedScenarios(o: BenchOptions): Scenario[] {
  if (o.scenarios.length) return SCENARIOS.filter((s) => o.scenarios.includes(s.id));
  return SCENARIOS.filter((s) => !s.optIn || (s.id === 'soak' && o.soakMs !== null));
}

/**
 * Runs the selected scenarios one after another, never in parallel (they would disturb each
 * other's timings), and writes the report. A scenario that throws SkipScenario is reported as
 * skipped with its reason; any other error as an error with its message; the rest still run.
 */
export async function runBench(
  o: BenchOptions,
): Promise<{ report: BenchReport; paths: { latest: string; dated: string } }> {
  const started = new Date();
  const machine = machineInfo();
  const t0 = performance.now();
  const done = new Map<string, ScenarioResult>();
  const scenarios = selectedScenarios(o);
  for (const s of scenarios) {
    const result: ScenarioResult = {
      id: s.id,
      number: s.number,
      title: s.title,
      status: 'ok',
      duration_s: 0,
      figures: [],
      targets: [],
      notes: [],
    };
    o.log(`[bench] ${s.number}. ${s.title}…`);
    const ts = performance.now();
    try {
      await s.run({ options: o, done, log: o.log }, result);
    } catch (error) {
      result.status = error instanceof SkipScenario ? 'skipped' : 'error';
      result.reason = (error as Error).message;
      result.figures = [];
      result.targets = [];
      o.log(`[bench] ${s.number}. ${result.status}: ${result.reason}`);
      if (!(error instanceof SkipScenario) && process.env.PATCHBAY_DEBUG)
        o.log(String((error as Error).stack));
    }
    result.duration_s = Math.round((performance.now() - ts) / 100) / 10;
    done.set(s.id, result);
  }
  // Opt-in scenarios left out of a plain run are listed, so the table says why they are absent.
  if (!o.scenarios.length)
    for (const s of SCENARIOS)
      if (!done.has(s.id))
        done.set(s.id, {
          id: s.id,
          number: s.number,
          title: s.title,
          status: 'skipped',
          reason: s.id === 'soak' ? 'opt-in: run with --soak 10m (not in CI)' : 'opt-in',
          duration_s: 0,
          figures: [],
          targets: [],
          notes: [],
        });
  const report: BenchReport = {
    format: 'patchbay-bench',
    format_version: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    duration_s: Math.round((performance.now() - t0) / 100) / 10,
    machine,
    options: {
      scenarios: scenarios.map((s) => s.id),
      quick: o.quick,
      repeat: o.repeat,
      soak_s: o.soakMs === null ? null : o.soakMs / 1000,
    },
    scenarios: [...done.values()].sort((a, b) => a.number - b.number),
  };
  const paths = await writeReport(report, o.outDir);
  return { report, paths };
}
