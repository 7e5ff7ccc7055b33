import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_MODEL_IDS,
  buildModelBytes,
  ensureBuiltinModel,
  ensureBuiltinModels,
  type BuiltinModelId,
} from './build-models';
import { readContract, sidecarPath } from './contract';
import { OnnxModel } from './session';
import { runReference, type RefImage } from './reference';

/**
 * Each built-in ONNX model, run by onnxruntime on random 64×48 frames, against the plain-TS
 * reference. Tolerance: max abs error ≤ 1e-5 on the 0–1 floats (float32 graph vs float64
 * reference), and the 8-bit values after rounding differ by at most 1/255.
 */

const W = 64;
const H = 48;
const FLOAT_TOL = 1e-5;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random image quantised to 8-bit steps, as real frames are. */
function randomImage(seed: number): RefImage {
  const r = rng(seed);
  return {
    width: W,
    height: H,
    data: Float32Array.from({ length: 3 * W * H }, () => Math.floor(r() * 256) / 255),
  };
}

function compare(actual: Float32Array, expected: Float32Array): { float: number; bytes: number } {
  expect(actual.length).toBe(expected.length);
  let float = 0;
  let bytes = 0;
  for (let i = 0; i < expected.length; i++) {
    float = Math.max(float, Math.abs(actual[i]! - expected[i]!));
    const a = Math.round(Math.min(1, Math.max(0, actual[i]!)) * 255);
    const e = Math.round(Math.min(1, Math.max(0, expected[i]!)) * 255);
    bytes = Math.max(bytes, Math.abs(a - e));
  }
  return { float, bytes };
}

const dir = mkdtempSync(join(tmpdir(), 'patchbay-models-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('built-in ONNX models vs plain-TS references', () => {
  const strengths = [0, 0.13, 0.5, 0.77, 1];
  for (const id of BUILTIN_MODEL_IDS.filter((m) => m !== 'trails')) {
    it(`${id} matches its reference on random frames at strengths ${strengths.join(', ')}`, async () => {
      const model = await OnnxModel.load(ensureBuiltinModel(dir, id), { device: 'cpu' });
      try {
        for (const [k, strength] of strengths.entries()) {
          const img = randomImage(1000 + k);
          const tint = [rng(k)(), 0.2, 0.85];
          const out = await model.runTensor(img, { strength, text: tint });
          expect([out.width, out.height]).toEqual([W, H]);
          const err = compare(out.data, runReference(id, img, strength, { tint }));
          expect(err.float, `${id} @ ${strength}`).toBeLessThanOrEqual(FLOAT_TOL);
          expect(err.bytes, `${id} @ ${strength}`).toBeLessThanOrEqual(1);
        }
      } finally {
        await model.dispose();
      }
    });
  }

  it('trails feeds its previous output back: three frames match the reference chain', async () => {
    const model = await OnnxModel.load(ensureBuiltinModel(dir, 'trails'), { device: 'cpu' });
    let previous: Float32Array = new Float32Array(3 * W * H);
    for (let f = 0; f < 3; f++) {
      const img = randomImage(2000 + f);
      const out = await model.runTensor(img, { strength: 0.9 });
      const expected = runReference('trails', img, 0.9, { previous });
      const err = compare(out.data, expected);
      expect(err.float).toBeLessThanOrEqual(FLOAT_TOL);
      previous = expected;
    }
    // A size change starts again from black: output equals the input.
    const small = { width: 8, height: 6, data: new Float32Array(3 * 48).fill(0.25) };
    expect(
      Array.from((await model.runTensor(small, { strength: 1 })).data).every(
        (v) => Math.abs(v - 0.25) < 1e-7,
      ),
    ).toBe(true);
    await model.dispose();
  });

  it('the strength input changes the result (blur radius, posterize levels, edge gain)', async () => {
    for (const id of ['blur', 'posterize', 'edges'] as BuiltinModelId[]) {
      const model = await OnnxModel.load(ensureBuiltinModel(dir, id), { device: 'cpu' });
      const img = randomImage(7);
      const a = await model.runTensor(img, { strength: 0.2 });
      const a2 = Float32Array.from(a.data);
      const b = await model.runTensor(img, { strength: 0.9 });
      expect(compare(a2, b.data).bytes, id).toBeGreaterThan(10);
      await model.dispose();
    }
  });
});

describe('built-in model files', () => {
  it('are deterministic bytes, written with a valid sidecar, and not rewritten when unchanged', () => {
    for (const id of BUILTIN_MODEL_IDS)
      expect(Buffer.compare(buildModelBytes(id), buildModelBytes(id))).toBe(0);
    const sub = join(dir, 'cache');
    const paths = ensureBuiltinModels(sub);
    for (const id of BUILTIN_MODEL_IDS) {
      expect(Buffer.compare(readFileSync(paths[id]), buildModelBytes(id))).toBe(0);
      expect(readContract(sidecarPath(paths[id])).input.layout).toBe('NCHW');
    }
    const before = statSync(paths.edges).mtimeMs;
    const ino = statSync(paths.edges).ino;
    ensureBuiltinModel(sub, 'edges');
    expect(statSync(paths.edges).ino).toBe(ino);
    expect(statSync(paths.edges).mtimeMs).toBe(before);
  });
});
