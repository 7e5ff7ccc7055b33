import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PipelineInfo } from '../../nodes';
import type { Patch } from '../../patches';
import { defaultCapabilities } from '../../runtime/compile';
import {
  BUILTIN_MODEL_IDS,
  benchLearned,
  benchModels,
  defaultModelsDir,
  LEARNED_PIPELINE_IDS,
  buildEffectBytes,
  effectContract,
  sidecarPath,
  userModelInfo,
  type BuiltinModelId,
} from '../../runtime/pipelines';
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
  extraPipelines?: PipelineInfo[],
): Promise<{ p50: number; p99: number; fps: number; frames: number }> {
  const session = createSession({
    patch: modelPatch(model),
    capabilities: defaultCapabilities(),
    modelsDir,
    ...(extraPipelines ? { extraPipelines } : {}),
  });
  try {
    await session.start();
    // Wait for the model to finish warming up so its load is not in the numbers.
    const t0 = performance.now();
    while (session.stats().fx?.status !== 'running' && performance.now() - t0 < 30_000) await sleep(100);
    if (session.stats().fx?.status !== 'running')
      throw new Error(
        `model "${model}" did not start running in the runtime (status ${session.stats().fx?.status ?? 'none'}: ${session.stats().fx?.message ?? ''})`,
      );
    const before = session.stats().fx!.frames_out;
    await sleep(ms);
    const s = session.stats().fx!;
    // A node whose frames fail still reports a (tiny) ms_p50: never let that pass as a speed.
    if (s.frames_out <= before)
      throw new Error(`model "${model}" produced no frames in the runtime (${s.message ?? 'no message'})`);
    return { p50: s.ms_p50, p99: s.ms_p99, fps: s.fps_out, frames: s.frames_out };
  } finally {
    await session.dispose();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The effect alone (float RGB NCHW in and out) written as a user model, so the runtime runs it the
 * way it runs any float model: JS conversion I420 → tensor → I420 around `session.run`. This is
 * how the built-in models ran before the conversion moved into their graphs.
 */
function floatPathModel(dir: string, id: BuiltinModelId): { pipelineId: string; info: PipelineInfo } {
  const path = join(dir, `${id}-float-path.onnx`);
  const contract = effectContract(id);
  writeFileSync(path, buildEffectBytes(id));
  writeFileSync(sidecarPath(path), JSON.stringify(contract));
  const pipelineId = `onnx:${path}`;
  return { pipelineId, info: userModelInfo(pipelineId, contract) };
}

/**
 * Scenario 3 — model overhead: for each built-in ONNX model at 512×512 (CPU, one thread), the
 * per-frame time of its Pipeline node inside the runtime (the engine's node stats, ms_p50 while
 * playing the test pattern at 30 fps) against the model alone (`benchModels`). The built-in
 * models take and return I420 bytes with the colour conversion inside the graph, so "model alone"
 * includes that conversion; the effect alone (float in and out, no conversion: the denominator
 * this scenario used before the conversion moved into the graph) is reported beside it, and so is
 * the same effect run in the runtime as a float model with the JS conversion around it.
 */
export const modelsScenario: Scenario = {
  id: 'models',
  number: 3,
  title: 'Model overhead (model alone vs inside the runtime)',
  async run(ctx, result) {
    const runs = ctx.options.repeat ?? (ctx.options.quick ? 1 : 3);
    const frames = ctx.options.quick ? 5 : 30;
    const playMs = ctx.options.quick ? 1500 : 4000;
    const models: readonly BuiltinModelId[] = ctx.options.quick
      ? BUILTIN_MODEL_IDS.slice(0, 2)
      : BUILTIN_MODEL_IDS;
    const dir = mkdtempSync(join(tmpdir(), 'patchbay-bench-models-'));
    const overheads: Record<string, number> = {};
    const vsEffect: Record<string, number> = {};
    const vsPaced: Record<string, number> = {};
    const details: Record<string, unknown> = {};
    try {
      for (const id of models) {
        const float = floatPathModel(dir, id);
        const r = {
          model: [] as number[],
          paced: [] as number[],
          effect: [] as number[],
          convert: [] as number[],
        };
        const inside: number[] = [];
        const insideFps: number[] = [];
        const floatInside: number[] = [];
        for (let k = 0; k < runs; k++) {
          const [b] = await benchModels({ width: W, height: H, frames, only: [id], modelsDir: dir });
          r.model.push(b!.model_median_ms);
          r.paced.push(b!.model_paced_median_ms);
          r.effect.push(b!.effect_median_ms);
          r.convert.push(b!.convert_median_ms);
          // Built-in and float path one after the other in each run: the same machine state.
          const rt = await inRuntime(id, playMs, dir);
          inside.push(rt.p50);
          insideFps.push(rt.fps);
          floatInside.push((await inRuntime(float.pipelineId, playMs, dir, [float.info])).p50);
        }
        const fModel = figure(
          `${id}_model_alone`,
          `${id}: model alone (I420 in and out, conversion inside the graph)`,
          'ms/frame',
          r.model,
        );
        const fPaced = figure(
          `${id}_model_alone_paced`,
          `${id}: model alone, one run per frame interval (30 fps, as in the runtime)`,
          'ms/frame',
          r.paced,
        );
        const fEffect = figure(
          `${id}_effect_alone`,
          `${id}: effect alone (float in and out, no conversion)`,
          'ms/frame',
          r.effect,
        );
        const fInside = withFloor(
          figure(`${id}_in_runtime`, `${id}: per frame in the runtime`, 'ms/frame', inside),
          fModel,
        );
        result.figures.push(
          fModel,
          fPaced,
          fEffect,
          fInside,
          withFloor(
            {
              ...fInside,
              key: `${id}_in_runtime_vs_paced`,
              label: `${id}: in the runtime vs the model alone at 30 fps (what the runtime adds around the run)`,
            },
            fPaced,
          ),
          withFloor(
            {
              ...fInside,
              key: `${id}_in_runtime_vs_effect`,
              label: `${id}: in the runtime vs the effect alone (conversion counted as overhead)`,
            },
            fEffect,
          ),
          withFloor(
            figure(
              `${id}_float_path_in_runtime`,
              `${id}: the effect as a float model in the runtime (JS conversion around it)`,
              'ms/frame',
              floatInside,
            ),
            fEffect,
          ),
          figure(
            `${id}_convert`,
            `${id}: JS I420↔tensor conversion alone (float models)`,
            'ms/frame',
            r.convert,
          ),
          figure(`${id}_runtime_fps`, `${id}: fps out of the node in the runtime`, 'fps', insideFps),
        );
        overheads[id] = fInside.median / fModel.median - 1;
        vsEffect[id] = fInside.median / fEffect.median - 1;
        vsPaced[id] = fInside.median / fPaced.median - 1;
        details[id] = { ...r, inside, insideFps, floatInside };
        ctx.log(
          `  ${id}: model ${fModel.median.toFixed(1)} ms (at 30 fps ${fPaced.median.toFixed(1)}, effect ${fEffect.median.toFixed(1)}), in runtime ${fInside.median.toFixed(1)} ms (${(overheads[id]! * 100).toFixed(0)} %; float path ${median(floatInside).toFixed(1)} ms)`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The learned pipelines (runtime/pipelines/learned): the models are fetched through npm into
    // the user's models folder on first use (not timed), then timed alone and in the runtime.
    const learnedDir = defaultModelsDir();
    const learnedOverheads: Record<string, number> = {};
    const learnedIds = ctx.options.quick ? LEARNED_PIPELINE_IDS.slice(0, 1) : LEARNED_PIPELINE_IDS;
    for (const id of learnedIds) {
      const alone: number[] = [];
      const paced: number[] = [];
      const inside: number[] = [];
      const fps: number[] = [];
      let build = 0;
      for (let k = 0; k < runs; k++) {
        const [b] = await benchLearned({ modelsDir: learnedDir, frames, only: [id] });
        alone.push(b!.median_ms);
        paced.push(b!.paced_median_ms);
        build = b!.build_ms;
        const rt = await inRuntime(id, playMs, learnedDir);
        inside.push(rt.p50);
        fps.push(rt.fps);
      }
      const fAlone = figure(
        `${id}_model_alone`,
        `${id}: learned model alone (I420 in and out, all fused)`,
        'ms/frame',
        alone,
      );
      const fPaced = figure(
        `${id}_model_alone_paced`,
        `${id}: learned model alone at 30 fps`,
        'ms/frame',
        paced,
      );
      const fInside = withFloor(
        figure(`${id}_in_runtime`, `${id}: per frame in the runtime`, 'ms/frame', inside),
        fPaced,
      );
      result.figures.push(
        fAlone,
        fPaced,
        fInside,
        figure(`${id}_runtime_fps`, `${id}: fps out of the node in the runtime`, 'fps', fps),
      );
      learnedOverheads[id] = fInside.median / fPaced.median - 1;
      details[id] = { alone, paced, inside, fps, build_ms: build };
      ctx.log(
        `  ${id}: model alone ${fAlone.median.toFixed(1)} ms (at 30 fps ${fPaced.median.toFixed(1)}), in runtime ${fInside.median.toFixed(1)} ms, ${median(fps).toFixed(1)} fps (build ${build.toFixed(0)} ms)`,
      );
    }
    for (const [id, o] of Object.entries(overheads))
      result.targets.push(
        atMost(`${id} overhead in the runtime (vs the model alone)`, round(o * 100, 1), 10, '%'),
      );
    for (const [id, o] of Object.entries(learnedOverheads))
      result.targets.push(
        atMost(`${id} overhead in the runtime (vs the model alone at 30 fps)`, round(o * 100, 1), 10, '%'),
      );
    result.details = details;
    result.notes.push(
      `512×512 camera test pattern, CPU, 1 intra-op thread. "Model alone" = median of ${frames} back-to-back session.run calls of the built-in model as the runtime runs it: I420 bytes in and out, so it INCLUDES the colour conversion (inside the ONNX graph); "at 30 fps" = the same, one call per 33 ms as the runtime calls it (colder caches: slower on this machine even with no runtime around it); "effect alone" = the same effect on float RGB, no conversion (this scenario's denominator before the conversion moved into the graph). In the runtime: the Pipeline node's ms_p50 after ${playMs / 1000} s at 30 fps (the worker's whole per-frame time: feeding the frame, the run, copying the result into the frame pool). "Float path" = the effect run in the runtime as a float user model (JS conversion around it, onnxruntime optimisation level all, as user models get): how the built-ins ran before. ${runs} run(s). Overhead vs model alone (the target), median across models ${(median(Object.values(overheads)) * 100).toFixed(0)} %; vs the model alone at 30 fps ${(median(Object.values(vsPaced)) * 100).toFixed(0)} %; vs effect alone ${(median(Object.values(vsEffect)) * 100).toFixed(0)} %`,
    );
  },
};
