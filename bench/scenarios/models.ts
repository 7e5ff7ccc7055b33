import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Patch } from '../../patches';
import { defaultCapabilities } from '../../runtime/compile';
import { BUILTIN_MODEL_IDS, benchModels, type BuiltinModelId } from '../../runtime/pipelines';
import { createSession } from '../../runtime/session';
import { atMost, figure, median, round, withFloor } from '../stats';
import type { Scenario } from '../types';

const W = 512;
const H = 512;

/** Camera (test pattern, 512×512 at 30 fps) → Pipeline(model) → Output. */
export function modelPatch(model: string): Patch {
  const pos = { x: 0, y: 0 };
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: `bench ${model}`, created_at: new Date(0).toISOString(), app_version: '0.1.0' },
    nodes: [
      {
        id: 'cam',
        type: 'camera',
        version: 1,
        position: pos,
        params: { source_mode: 'test_pattern', width: W, height: H, fps: 30 },
      },
      {
        id: 'fx',
        type: 'pipeline',
        version: 1,
        position: pos,
        params: { pipeline_id: model, width: W, height: H },
      },
      { id: 'out', type: 'output', version: 1, position: pos, params: { name: 'out' } },
    ],
    edges: [
      { id: 'e1', from: { node: 'cam', port: 'video' }, to: { node: 'fx', port: 'video' } },
      { id: 'e2', from: { node: 'fx', port: 'video' }, to: { node: 'out', port: 'video' } },
    ],
  };
}

/** Plays the model's patch in a headless session for `ms` and returns the pipeline node's per-frame p50 and fps. */
async function inRuntime(
  model: string,
  ms: number,
  modelsDir: string,
): Promise<{ p50: number; p99: number; fps: number; frames: number }> {
  const session = createSession({ patch: modelPatch(model), capabilities: defaultCapabilities(), modelsDir });
  try {
    await session.start();
    // Wait for the model to finish warming up so its load is not in the numbers.
    const t0 = performance.now();
    while (session.stats().fx?.status !== 'running' && performance.now() - t0 < 30_000) await sleep(100);
    if (session.stats().fx?.status !== 'running')
      throw new Error(
        `model "${model}" did not start running in the runtime (status ${session.stats().fx?.status ?? 'none'}: ${session.stats().fx?.message ?? ''})`,
      );
    await sleep(ms);
    const s = session.stats().fx!;
    return { p50: s.ms_p50, p99: s.ms_p99, fps: s.fps_out, frames: s.frames_out };
  } finally {
    await session.dispose();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Scenario 3 — model overhead: for each built-in ONNX model at 512×512 (CPU, one thread), the
 * inference alone (`benchModels`: `session.run` only) against the per-frame time of the same
 * model's Pipeline node inside the runtime (the engine's node stats, ms_p50 while playing the
 * test pattern at 30 fps). Overhead = inside / alone − 1.
 */
export const modelsScenario: Scenario = {
  id: 'models',
  number: 3,
  title: 'Model overhead (inference alone vs inside the runtime)',
  async run(ctx, result) {
    const runs = ctx.options.repeat ?? (ctx.options.quick ? 1 : 3);
    const frames = ctx.options.quick ? 5 : 30;
    const playMs = ctx.options.quick ? 1500 : 4000;
    const models: readonly BuiltinModelId[] = ctx.options.quick
      ? BUILTIN_MODEL_IDS.slice(0, 2)
      : BUILTIN_MODEL_IDS;
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-bench-models-'));
    const overheads: Record<string, number> = {};
    const details: Record<string, unknown> = {};
    try {
      for (const id of models) {
        const alone: number[] = [];
        const convert: number[] = [];
        const inside: number[] = [];
        const insideFps: number[] = [];
        for (let r = 0; r < runs; r++) {
          const [b] = await benchModels({ width: W, height: H, frames, only: [id], modelsDir: dir });
          alone.push(b!.inference_median_ms);
          convert.push(b!.convert_median_ms);
          const rt = await inRuntime(id, playMs, dir);
          inside.push(rt.p50);
          insideFps.push(rt.fps);
        }
        const fAlone = figure(`${id}_inference_alone`, `${id}: inference alone`, 'ms/frame', alone);
        const fInside = withFloor(
          figure(`${id}_in_runtime`, `${id}: per frame in the runtime`, 'ms/frame', inside),
          fAlone,
        );
        const both = alone.map((a, i) => a + convert[i]!);
        const fBoth = figure(
          `${id}_alone_plus_convert`,
          `${id}: inference + conversion alone`,
          'ms/frame',
          both,
        );
        result.figures.push(
          fAlone,
          figure(`${id}_convert`, `${id}: I420↔tensor conversion alone`, 'ms/frame', convert),
          fBoth,
          fInside,
          // The runtime has to convert I420 to a tensor and back; this ratio shows what it adds beyond that.
          withFloor(
            {
              ...fInside,
              key: `${id}_in_runtime_vs_convert`,
              label: `${id}: in the runtime vs inference + conversion`,
            },
            fBoth,
          ),
        );
        result.figures.push(
          figure(`${id}_runtime_fps`, `${id}: fps out of the node in the runtime`, 'fps', insideFps),
        );
        overheads[id] = fInside.median / fAlone.median - 1;
        details[id] = { alone, convert, inside, insideFps };
        ctx.log(
          `  ${id}: alone ${fAlone.median.toFixed(1)} ms, in runtime ${fInside.median.toFixed(1)} ms (${(overheads[id]! * 100).toFixed(0)} %)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const [id, o] of Object.entries(overheads))
      result.targets.push(atMost(`${id} overhead in the runtime`, round(o * 100, 1), 10, '%'));
    result.details = details;
    result.notes.push(
      `512×512, CPU, 1 intra-op thread; alone: median of ${frames} session.run calls; in the runtime: the Pipeline node's ms_p50 after ${playMs / 1000} s of the 30 fps test pattern (includes I420↔tensor conversion and the worker hop); ${runs} run(s); overhead median across models ${(median(Object.values(overheads)) * 100).toFixed(0)} %`,
    );
  },
};
