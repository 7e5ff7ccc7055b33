/**
 * `patchbay play FILE.patch`: plays a patch headlessly for a while, writes PNG frames of every
 * Output node and a `stats.json`, and prints a per-node summary. A Camera in camera mode has no
 * browser here, so it gets the test pattern (and the command says so). A patch that does not
 * load or compile exits 1 with the compiler's errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { registry, showsResult, type VideoFrame } from '../../../nodes';
import { serializePatch, type Patch } from '../../../patches';
import { engineMetrics } from '../../engine';
import { hostProbe } from '../../host';
import type { NodeStats } from '../../protocol';
import { createSession } from '../../session';
import { cliLogger } from '../log';
import type { CliCommand, CliIo } from '../main';
import { progressLine } from '../progress';
import { lineSafeIo } from '../safe-io';
import { validateFile } from './validate';

const USAGE =
  'play FILE.patch [--duration 10s] [--out DIR] [--clock real|fixed] [--fps N] [--every N] [--assets DIR] [--data-dir D] [--quiet]';

export interface PlayOptions {
  file: string;
  durationMs: number;
  out: string | null;
  clock: 'real' | 'fixed';
  fps: number | null;
  every: number;
  /** Where Camera nodes in video_file mode find their files (default: <data-dir>/assets, else ~/.patchbay/assets). */
  assets: string | null;
  /** Where models/, assets/, recordings/ and logs/ are (default: none; no log files). */
  dataDir: string | null;
  /** Only errors on stderr. */
  quiet: boolean;
}

/** Parses "10s", "500ms", "2m" or a plain number of seconds into milliseconds; null when invalid. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return null;
  const v = Number(m[1]);
  const ms = m[2] === 'ms' ? v : m[2] === 'm' ? v * 60_000 : v * 1000;
  return ms > 0 && ms <= 24 * 3600_000 ? ms : null;
}

/** Parses the command line; returns the options or the message to print. */
export function parsePlayArgs(args: string[]): PlayOptions | { error: string } | { help: true } {
  const o: PlayOptions = {
    file: '',
    durationMs: 10_000,
    out: null,
    clock: 'real',
    fps: null,
    every: 30,
    assets: null,
    dataDir: null,
    quiet: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = (): string | undefined => args[++i];
    switch (arg) {
      case '--help':
      case '-h':
        return { help: true };
      case '--duration': {
        const d = parseDuration(value() ?? '');
        if (d === null) return { error: '--duration takes a time like 10s, 500ms or 2m' };
        o.durationMs = d;
        break;
      }
      case '--out': {
        const v = value();
        if (!v) return { error: '--out takes a folder' };
        o.out = v;
        break;
      }
      case '--assets': {
        const v = value();
        if (!v) return { error: '--assets takes a folder' };
        o.assets = v;
        break;
      }
      case '--clock': {
        const v = value();
        if (v !== 'real' && v !== 'fixed') return { error: '--clock is "real" or "fixed"' };
        o.clock = v;
        break;
      }
      case '--fps': {
        const v = Number(value());
        if (!Number.isFinite(v) || v < 1 || v > 120) return { error: '--fps takes a number from 1 to 120' };
        o.fps = v;
        break;
      }
      case '--data-dir': {
        const v = value();
        if (!v) return { error: '--data-dir takes a folder' };
        o.dataDir = resolve(v);
        break;
      }
      case '--quiet':
      case '-q':
        o.quiet = true;
        break;
      case '--every': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1) return { error: '--every takes a whole number ≥ 1' };
        o.every = v;
        break;
      }
      default:
        if (arg.startsWith('-')) return { error: `unknown option "${arg}"` };
        if (o.file) return { error: `one patch file only (got "${o.file}" and "${arg}")` };
        o.file = arg;
    }
  }
  if (!o.file) return { error: 'name a .patch file' };
  return o;
}

/**
 * Each node plays as its definition's `headless` says: Camera nodes in camera mode get the test
 * pattern (no browser here) and `fps` overrides every camera's rate.
 */
export function headlessPatch(patch: Patch, fps: number | null): { patch: Patch; substituted: string[] } {
  const substituted: string[] = [];
  const nodes = patch.nodes.map((n) => {
    const headless = registry.get(n.type)?.headless;
    if (!headless) return n;
    const played = headless(n.params, { fps });
    if (played.substituted) substituted.push(n.id);
    return { ...n, params: played.params };
  });
  return { patch: { ...patch, nodes }, substituted };
}

type Io = typeof import('../../io');

/** A PNG of the frame (FFmpeg's png encoder) carrying the patch that made it (iTXt `patchbay_patch`). */
function pngOf(io: Io, frame: VideoFrame, patchText: string | undefined): Buffer {
  return io.encodePng(frame, io.patchTags(patchText));
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(1));

function summaryLine(id: string, s: NodeStats): string {
  return (
    `  ${id.padEnd(16)} ${s.status.padEnd(9)} in ${String(s.frames_in).padStart(5)}  out ${String(s.frames_out).padStart(5)}` +
    `  ${fmt(s.fps_out).padStart(5)} fps  ${s.ms_p50.toFixed(2)}/${s.ms_p99.toFixed(2)} ms p50/p99  drops ${s.drops}` +
    (s.message ? `  (${s.message})` : '')
  );
}

/** Plays a patch as the options say; resolves to the exit code. */
export async function play(o: PlayOptions, io: CliIo): Promise<number> {
  const checked = await validateFile(o.file);
  if (checked.errors.length || !checked.patch) {
    for (const line of checked.errors) io.err(line);
    io.err(
      `patchbay play: ${o.file} cannot be played (${checked.errors.length} error${checked.errors.length === 1 ? '' : 's'})`,
    );
    return 1;
  }
  const logs = cliLogger(io, {
    ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    quiet: o.quiet,
    component: 'play',
  });
  const log = logs.logger;
  for (const line of checked.warnings) log.warn(line);
  const { patch, substituted } = headlessPatch(checked.patch, o.fps);
  for (const id of substituted)
    log.info(`camera "${id}": no browser camera in headless play; using the test pattern`);
  const { capabilities } = await hostProbe();
  const session = createSession({
    patch,
    capabilities,
    clockMode: o.clock,
    log: logs.line,
    ...(o.dataDir
      ? {
          modelsDir: join(o.dataDir, 'models'),
          assetsDir: join(o.dataDir, 'assets'),
          recordingsDir: join(o.dataDir, 'recordings'),
        }
      : {}),
    ...(o.assets ? { assetsDir: o.assets } : {}),
  });
  for (const e of session.diagnostics().filter((d) => !d.fatal))
    log.warn(`${e.node ? `node "${e.node}": ` : ''}${e.message}`);
  session.on('node.error', (e) => log.error(`node "${e.node}": ${e.message}`));

  if (o.out) await mkdir(o.out, { recursive: true });
  // PNGs carry the patch as written in the file (not the headless stand-ins), so it reopens as it was.
  const media: Io | null = o.out ? await import('../../io') : null;
  let patchText: string | undefined;
  try {
    patchText = serializePatch(checked.patch);
  } catch {
    patchText = undefined;
  }
  const counts = new Map<string, number>();
  const writes: Promise<void>[] = [];
  let written = 0;
  let finished = false;
  // Real clock: frames shown while models load (passed through) are not part of the recording.
  // A fixed clock holds the graph until they are loaded, so every frame counts.
  let playing = o.clock === 'fixed';
  session.onSinkFrame((node, frame) => {
    const type = session.plan()?.nodes.find((n) => n.id === node)?.type;
    if (!playing || finished || !type || !showsResult(registry.get(type))) return;
    const n = counts.get(node) ?? 0;
    counts.set(node, n + 1);
    if (o.out && n % o.every === 0) {
      written++;
      writes.push(
        writeFile(join(o.out, `${node}-${String(n).padStart(6, '0')}.png`), pngOf(media!, frame, patchText)),
      );
    }
  });

  const startedAt = performance.now();
  try {
    await session.start();
  } catch (error) {
    io.err(`patchbay play: ${(error as Error).message}`);
    await session.dispose();
    logs.close();
    return 1;
  }
  // Playing time counts from when the session runs (models loaded), on the session's clock.
  const clock = session.clock();
  const t0 = clock.now();
  playing = true;
  // A progress line on a terminal (rewritten in place); nothing when stderr is a file or a pipe.
  const progress = o.quiet ? null : progressLine(io);
  const ticker = progress
    ? setInterval(() => {
        const frames = [...counts.values()].reduce((a, b) => a + b, 0);
        progress.update(
          `playing ${((clock.now() - t0) / 1000).toFixed(1)} / ${(o.durationMs / 1000).toFixed(1)} s, ${frames} frame${frames === 1 ? '' : 's'} out`,
        );
      }, 250)
    : null;
  await new Promise<void>((resolve) => {
    clock.setTimeout(resolve, o.durationMs);
    process.once('SIGINT', resolve);
  });
  if (ticker) clearInterval(ticker);
  progress?.done();
  finished = true;
  const stats = session.stats();
  const played = clock.now() - t0;
  await session.dispose();
  await Promise.all(writes);

  const outputs = Object.fromEntries(counts);
  const summary = {
    file: o.file,
    clock: o.clock,
    duration_ms: Math.round(played),
    wall_ms: Math.round(performance.now() - startedAt),
    outputs,
    pngs_written: written,
    nodes: stats,
    engine: engineMetrics(),
  };
  if (o.out) await writeFile(join(o.out, 'stats.json'), JSON.stringify(summary, null, 2) + '\n');
  io.out(
    `${o.file}: played ${(summary.duration_ms / 1000).toFixed(1)} s (${o.clock} clock) in ${(summary.wall_ms / 1000).toFixed(1)} s`,
  );
  for (const [id, s] of Object.entries(stats)) io.out(summaryLine(id, s));
  if (o.out) io.out(`wrote ${written} PNG frame${written === 1 ? '' : 's'} and stats.json to ${o.out}`);
  logs.close();
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) {
    io.err('patchbay play: no frame reached an Output node');
    return 1;
  }
  return 0;
}

export const playCommand: CliCommand = {
  name: 'play',
  summary: 'play a patch headlessly; write PNG frames and stats',
  usage: USAGE,
  async run(args: string[], rawIo: CliIo): Promise<number> {
    const io = lineSafeIo(rawIo);
    const parsed = parsePlayArgs(args);
    if ('help' in parsed) {
      io.out(`usage: patchbay ${USAGE}`);
      io.out('  --duration T   how long to play (10s, 500ms, 2m; default 10s)');
      io.out('  --out DIR      write PNG frames of every Output and stats.json there');
      io.out(
        '  --clock MODE   real (wall time, default) or fixed (one frame interval per frame: deterministic, as fast as it goes)',
      );
      io.out('  --fps N        frame rate of every Camera node');
      io.out('  --every N      write every Nth frame (default 30; 1 writes all)');
      io.out('  --data-dir D   models/, assets/, recordings/ of that data dir; logs to D/logs');
      io.out('  --quiet        only errors on stderr (no progress line)');
      return 0;
    }
    if ('error' in parsed) {
      io.err(`patchbay play: ${parsed.error}. Usage: patchbay ${USAGE}`);
      return 2;
    }
    return play(parsed, io);
  },
};
