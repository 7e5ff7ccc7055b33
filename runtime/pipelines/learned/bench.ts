import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { rgbaToI420, type VideoFrame } from '../../../nodes';
import { OnnxModel } from '../onnx/session';
import {
  ensureLearnedModel,
  LEARNED_GRAPH_OPTIMIZATION,
  LEARNED_PIPELINE_IDS,
  learnedContract,
  learnedModelsDir,
  type LearnedPipelineId,
} from './build';
import { ensureLearnedSources } from './source';

/** One learned pipeline timed alone, as the runtime runs it (I420 in and out, everything fused). */
export interface LearnedBenchResult {
  id: LearnedPipelineId;
  width: number;
  height: number;
  /** Median ms of back-to-back runs. */
  median_ms: number;
  min_ms: number;
  /** Median ms with one run per 33 ms (as at 30 fps in the runtime). */
  paced_median_ms: number;
  /** Converting the TF.js model and writing the ONNX (what a first load pays after the fetch). */
  build_ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** The astronaut photo (256², scaled ×2 nearest) as a 512² I420 frame: a person, so the work is real. */
export function personTestFrame(): VideoFrame {
  const photo = PNG.sync.read(readFileSync(new URL('./fixtures/astronaut-256.png', import.meta.url)));
  const rgba = new Uint8Array(512 * 512 * 4);
  for (let y = 0; y < 512; y++)
    for (let x = 0; x < 512; x++)
      for (let c = 0; c < 4; c++)
        rgba[(y * 512 + x) * 4 + c] = photo.data[((y >> 1) * 256 + (x >> 1)) * 4 + c]!;
  return { width: 512, height: 512, data: rgbaToI420(rgba, 512, 512), timestampMs: 0, seq: 0 };
}

/** Times each learned pipeline alone at 512² on one CPU thread (`frames` runs each way, after 3 warm-up runs). */
export async function benchLearned(opts: {
  modelsDir: string;
  frames?: number;
  only?: readonly LearnedPipelineId[];
  threads?: number;
}): Promise<LearnedBenchResult[]> {
  const frames = opts.frames ?? 30;
  const sources = await ensureLearnedSources(opts.modelsDir);
  const frame = personTestFrame();
  const out: LearnedBenchResult[] = [];
  for (const id of opts.only ?? LEARNED_PIPELINE_IDS) {
    const t0 = performance.now();
    const path = ensureLearnedModel(learnedModelsDir(opts.modelsDir), id, sources);
    const build = performance.now() - t0;
    const model = await OnnxModel.load(
      path,
      { device: 'cpu', threads: opts.threads ?? 1, graphOptimization: LEARNED_GRAPH_OPTIMIZATION },
      learnedContract(id),
    );
    try {
      for (let i = 0; i < 3; i++) await model.runFrame(frame, { strength: 1 });
      const back: number[] = [];
      for (let i = 0; i < frames; i++) {
        const t = performance.now();
        await model.runFrame(frame, { strength: 1 });
        back.push(performance.now() - t);
      }
      const paced: number[] = [];
      for (let i = 0; i < frames; i++) {
        const start = performance.now();
        await model.runFrame(frame, { strength: 1 });
        const ms = performance.now() - start;
        paced.push(ms);
        await sleep(Math.max(0, 1000 / 30 - ms));
      }
      out.push({
        id,
        width: 512,
        height: 512,
        median_ms: median(back),
        min_ms: Math.min(...back),
        paced_median_ms: median(paced),
        build_ms: build,
      });
    } finally {
      await model.dispose();
    }
  }
  return out;
}
