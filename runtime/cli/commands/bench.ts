/**
 * `patchbay bench [scenario…]` (also `npm run bench`): runs the benchmark scenarios in bench/,
 * prints a Markdown table and writes bench/results/latest.json plus a dated copy.
 *
 * bench/ is a tool layered on top of the whole product (it drives the runtime, the editor and
 * Chromium), so the runtime must not import it statically — that would point the dependency
 * arrow the wrong way (scripts/dependency-direction.test.ts). The command loads it at run time
 * from the repository, and says so plainly when it is absent (an installed package without it).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliCommand, CliIo } from '../main';
import { progressLine } from '../progress';

/** The part of bench/index.ts this command uses (kept in step by bench/bench.test.ts). */
export interface BenchModule {
  BENCH_USAGE: string;
  SCENARIOS: readonly { id: string; number: number; title: string; optIn?: boolean }[];
  parseBenchArgs(args: string[], log: (line: string) => void): object;
  runBench(o: object): Promise<{ report: BenchReportLike; paths: { latest: string; dated: string } }>;
  formatReport(r: BenchReportLike): string;
}

interface BenchReportLike {
  scenarios: { status: string }[];
}

const benchIndex = join(dirname(fileURLToPath(import.meta.url)), '../../../bench/index.ts');

async function loadBench(): Promise<BenchModule> {
  if (!existsSync(benchIndex))
    throw new Error(
      `the benchmark harness is not here (${benchIndex}); run it from a clone of the repository`,
    );
  return (await import(pathToFileURL(benchIndex).href)) as BenchModule;
}

/** Runs the bench with CLI arguments; resolves to the exit code (0 even when targets are missed). */
export async function runBenchCommand(args: string[], io: CliIo): Promise<number> {
  const bench = await loadBench();
  // On a terminal, a progress line under the bench's own log lines: the scenario running and the
  // time spent on it and in all (a full run takes minutes).
  const progress = progressLine(io);
  const t0 = Date.now();
  let current: { label: string; since: number } | null = null;
  const clock = (ms: number) =>
    `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;
  const redraw = () =>
    current &&
    progress?.update(
      `bench: ${current.label} — ${clock(Date.now() - current.since)} (total ${clock(Date.now() - t0)})`,
    );
  const log = (line: string) => {
    progress?.done();
    io.err(line);
    const m = /^\[bench\] (\d+)\. (.*)…$/.exec(line);
    if (m) current = { label: `${m[1]}. ${m[2]}`, since: Date.now() };
    redraw();
  };
  const ticker = progress ? setInterval(redraw, 1000) : null;
  ticker?.unref();
  try {
    return await runParsed(bench, args, io, progress ? log : io.err);
  } finally {
    if (ticker) clearInterval(ticker);
    progress?.done();
  }
}

async function runParsed(
  bench: BenchModule,
  args: string[],
  io: CliIo,
  log: (line: string) => void,
): Promise<number> {
  const parsed = bench.parseBenchArgs(args, log) as { error?: string; help?: true; list?: true };
  if (parsed.help) {
    io.out(`usage: patchbay ${bench.BENCH_USAGE}`);
    io.out('  SCENARIO        ids or numbers (default: all but soak); --list shows them');
    io.out('  --quick         short runs (smoke test, CI): fewer frames and runs, 5 s end-to-end streams');
    io.out('  --repeat N      repetitions (micro scenarios default 5, end-to-end 1)');
    io.out('  --soak 10m      also run the soak for that long (RSS and handles every 10 s)');
    io.out("  --install-peer  apt-get install the aiortc peer's Debian packages when missing");
    io.out('  --out DIR       where latest.json and the dated copy go (default bench/results)');
    return 0;
  }
  if (parsed.list) {
    for (const s of bench.SCENARIOS)
      io.out(`  ${String(s.number).padStart(2)}  ${s.id.padEnd(12)} ${s.title}${s.optIn ? ' (opt-in)' : ''}`);
    return 0;
  }
  if (parsed.error) {
    io.err(`patchbay bench: ${parsed.error}. Usage: patchbay ${bench.BENCH_USAGE}`);
    return 2;
  }
  const { report, paths } = await bench.runBench(parsed);
  io.out(bench.formatReport(report));
  io.out(`\nwrote ${paths.latest} and ${paths.dated}`);
  // Targets missed are a finding, not a failure; a scenario that crashed is.
  return report.scenarios.some((s) => s.status === 'error') ? 1 : 0;
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'run the benchmarks; print a table, write bench/results/latest.json',
  usage: 'bench [SCENARIO…] [--quick] [--repeat N] [--soak 10m]',
  run: runBenchCommand,
};
