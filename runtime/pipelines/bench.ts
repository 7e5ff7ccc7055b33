import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blackFrame, i420Planes } from '../../nodes';
import { BUILTIN_MODEL_IDS, ensureBuiltinModel, type BuiltinModelId } from './onnx/build-models';
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
  /** `session.run` alone: no colour conversion, no copies. */
  inference_median_ms: number;
  inference_p90_ms: number;
  /** The fastest run: the least disturbed by other load on a shared machine. */
  inference_min_ms: number;
  /** I420 → tensor → I420 around it (the same for every model of this size). */
  convert_median_ms: number;
}

export interface BenchModelsOptions {
  width?: number;
  height?: number;
  frames?: number;
  /** Warm-up runs not counted (first runs allocate). */
  warmup?: number;
  threads?: number;
  /** Where models are generated; a temporary folder (removed after) when omitted. */
  modelsDir?: string;
  only?: readonly BuiltinModelId[];
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

/**
 * Times every built-in ONNX model on random frames (CPU, `threads` intra-op threads): inference
 * alone (median and p90 of `session.run`) and, separately, the I420 ↔ tensor conversion.
 * For the benchmark runner: `await benchModels({ width: 512, height: 512, frames: 50 })`.
 */
export async function benchModels(opts: BenchModelsOptions = {}): Promise<ModelBenchResult[]> {
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const frames = opts.frames ?? 30;
  const warmup = opts.warmup ?? 3;
  const threads = opts.threads ?? 1;
  const dir = opts.modelsDir ?? mkdtempSync(join(tmpdir(), 'patchbay-bench-models-'));
  const frame = blackFrame(width, height);
  // Deterministic noise so every run and model sees the same input.
  let seed = 0x9e3779b9;
  const p = i420Planes(width, height);
  for (let i = 0; i < p.v + p.chroma; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    frame.data[i] = seed >>> 24;
  }
  const results: ModelBenchResult[] = [];
  try {
    for (const id of opts.only ?? BUILTIN_MODEL_IDS) {
      const model = await OnnxModel.load(ensureBuiltinModel(dir, id), { device: 'cpu', threads });
      try {
        const spec = model.contract.input;
        const image = { data: i420ToTensor(frame, spec), width, height };
        const inference: number[] = [];
        const convert: number[] = [];
        for (let i = 0; i < warmup + frames; i++) {
          const out = await model.runTensor(image, { strength: 0.6, text: [0.9, 0.3, 0.5] });
          const t0 = performance.now();
          i420ToTensor(frame, spec, width, height, image.data);
          tensorToI420(out.data, model.contract.output, out.width, out.height);
          const t1 = performance.now();
          if (i >= warmup) {
            inference.push(model.lastInferenceMs);
            convert.push(t1 - t0);
          }
        }
        inference.sort((a, b) => a - b);
        convert.sort((a, b) => a - b);
        results.push({
          id,
          width,
          height,
          frames,
          device: model.device,
          threads,
          inference_median_ms: quantile(inference, 0.5),
          inference_p90_ms: quantile(inference, 0.9),
          inference_min_ms: inference[0] ?? NaN,
          convert_median_ms: quantile(convert, 0.5),
        });
      } finally {
        await model.dispose();
      }
    }
  } finally {
    if (!opts.modelsDir) rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
