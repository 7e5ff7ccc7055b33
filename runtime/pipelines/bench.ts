import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testPatternFrame } from '../../nodes';
import {
  BUILTIN_GRAPH_OPTIMIZATION,
  BUILTIN_MODEL_IDS,
  buildEffectBytes,
  effectContract,
  ensureBuiltinModel,
  type BuiltinModelId,
} from './onnx/build-models';
import type { FloatImageSpec } from './onnx/contract';
import { i420ToTensor, tensorToI420 } from './onnx/convert';
import { OnnxModel } from './onnx/session';

/** One built-in model's timing at a size. */
export interface ModelBenchResult {
  id: BuiltinModelId;
  width: number;
  height: number;
  frames: number;
  device: string;
  threads: number;
  /**
   * `session.run` of the model the runtime runs: I420 bytes in, I420 bytes out, the colour
   * conversion inside the graph. No copies in or out of the frame pool, no worker hop.
   */
  model_median_ms: number;
  model_p90_ms: number;
  /** The fastest run: the least disturbed by other load on a shared machine. */
  model_min_ms: number;
  /**
   * The same `session.run`, one call per frame interval (`paceMs`, 30 fps by default) as the
   * runtime calls it: caches are colder than in a tight loop, so this is the fair floor for the
   * per-frame time in the runtime (same run, same machine state).
   */
  model_paced_median_ms: number;
  /** `session.run` of the effect alone: float RGB NCHW in and out, no colour conversion. */
  effect_median_ms: number;
  effect_p90_ms: number;
  effect_min_ms: number;
  /**
   * I420 → float tensor → I420 in JS (./onnx/convert.ts), what a float user model pays around
   * its run; the built-in models no longer do this.
   */
  convert_median_ms: number;
}

export interface BenchModelsOptions {
  width?: number;
  height?: number;
  frames?: number;
  /** Warm-up runs not counted (first runs allocate). */
  warmup?: number;
  threads?: number;
  /** Milliseconds between runs for `model_paced_median_ms` (a frame interval; 1000/30 by default). */
  paceMs?: number;
  /** Where models are generated; a temporary folder (removed after) when omitted. */
  modelsDir?: string;
  only?: readonly BuiltinModelId[];
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

const RGB: FloatImageSpec = { name: 'image', layout: 'NCHW', range: [0, 1], channels: 'rgb' };

/**
 * Times every built-in ONNX model on the camera test pattern (the frame scenario 3 plays in the
 * runtime; CPU, `threads` intra-op threads): the model as the runtime runs it (I420 → I420, the
 * conversion fused in), the effect alone (float in and out), and the JS conversion a float model
 * needs. The two runs alternate frame by frame, so both see the same machine load. Then the
 * model again, paced at one run per frame interval as in the runtime.
 * For the benchmark runner: `await benchModels({ width: 512, height: 512, frames: 50 })`.
 */
export async function benchModels(opts: BenchModelsOptions = {}): Promise<ModelBenchResult[]> {
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const frames = opts.frames ?? 30;
  const warmup = opts.warmup ?? 3;
  const threads = opts.threads ?? 1;
  const paceMs = opts.paceMs ?? 1000 / 30;
  const dir = opts.modelsDir ?? mkdtempSync(join(tmpdir(), 'patchbay-bench-models-'));
  const frame = testPatternFrame(width, height, 7, 233);
  const results: ModelBenchResult[] = [];
  const load = { device: 'cpu' as const, threads, graphOptimization: BUILTIN_GRAPH_OPTIMIZATION };
  const inputs = { strength: 0.6, text: [0.9, 0.3, 0.5] };
  try {
    for (const id of opts.only ?? BUILTIN_MODEL_IDS) {
      const effectPath = join(dir, `${id}.effect-only.onnx`);
      writeFileSync(effectPath, buildEffectBytes(id));
      const model = await OnnxModel.load(ensureBuiltinModel(dir, id), load);
      const effect = await OnnxModel.load(effectPath, load, effectContract(id));
      try {
        const image = { data: i420ToTensor(frame, RGB), width, height };
        const out = new Uint8Array(frame.data.length);
        const times = { model: [] as number[], effect: [] as number[], convert: [] as number[] };
        for (let i = 0; i < warmup + frames; i++) {
          await model.runFrame(frame, inputs);
          const result = await effect.runTensor(image, inputs);
          const t0 = performance.now();
          i420ToTensor(frame, RGB, width, height, image.data);
          tensorToI420(result.data, RGB, width, height, width, height, out);
          const t1 = performance.now();
          if (i >= warmup) {
            times.model.push(model.lastInferenceMs);
            times.effect.push(effect.lastInferenceMs);
            times.convert.push(t1 - t0);
          }
        }
        const paced: number[] = [];
        for (let i = 0; i < warmup + frames; i++) {
          await model.runFrame(frame, inputs);
          if (i >= warmup) paced.push(model.lastInferenceMs);
          await new Promise((r) => setTimeout(r, paceMs));
        }
        paced.sort((a, b) => a - b);
        for (const t of Object.values(times)) t.sort((a, b) => a - b);
        results.push({
          id,
          width,
          height,
          frames,
          device: model.device,
          threads,
          model_median_ms: quantile(times.model, 0.5),
          model_p90_ms: quantile(times.model, 0.9),
          model_min_ms: times.model[0] ?? NaN,
          model_paced_median_ms: quantile(paced, 0.5),
          effect_median_ms: quantile(times.effect, 0.5),
          effect_p90_ms: quantile(times.effect, 0.9),
          effect_min_ms: times.effect[0] ?? NaN,
          convert_median_ms: quantile(times.convert, 0.5),
        });
      } finally {
        await Promise.all([model.dispose(), effect.dispose()]);
      }
    }
  } finally {
    if (!opts.modelsDir) rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
