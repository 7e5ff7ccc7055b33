import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blackFrame, type VideoFrame } from '../../../nodes';
import {
  BUILTIN_GRAPH_OPTIMIZATION,
  BUILTIN_MODEL_IDS,
  buildEffectBytes,
  buildModelBytes,
  effectContract,
  ensureBuiltinModel,
  ensureBuiltinModels,
  type BuiltinModelId,
} from './build-models';
import { readContract, sidecarPath, type FloatImageSpec } from './contract';
import { i420ToTensor, tensorToI420 } from './convert';
import { OnnxModel } from './session';
import { refPosterLevels, runReference, type RefImage } from './reference';

/**
 * Each built-in ONNX effect, run by onnxruntime on random 64×48 images, against the plain-TS
 * reference. Tolerance: max abs error ≤ 1e-5 on the 0–1 floats (float32 graph vs float64
 * reference), and the 8-bit values after rounding differ by at most 1/255. Then the models the
 * runtime runs (colour conversion fused in: I420 in, I420 out) end to end on random I420 frames
 * against reference = JS conversion (./convert.ts, loops) around the same reference effect.
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

/** The effect alone (float RGB NCHW in and out), as a model file with its contract. */
function loadEffect(id: BuiltinModelId): Promise<OnnxModel> {
  const path = join(dir, `${id}-effect.onnx`);
  writeFileSync(path, buildEffectBytes(id));
  return OnnxModel.load(
    path,
    { device: 'cpu', graphOptimization: BUILTIN_GRAPH_OPTIMIZATION },
    effectContract(id),
  );
}

/** The model the runtime runs (I420 in and out), as the processor loads it. */
function loadFused(id: BuiltinModelId): Promise<OnnxModel> {
  return OnnxModel.load(ensureBuiltinModel(dir, id), {
    device: 'cpu',
    graphOptimization: BUILTIN_GRAPH_OPTIMIZATION,
  });
}

describe('built-in ONNX effects vs plain-TS references', () => {
  const strengths = [0, 0.13, 0.5, 0.77, 1];
  for (const id of BUILTIN_MODEL_IDS.filter((m) => m !== 'trails')) {
    it(`${id} matches its reference on random frames at strengths ${strengths.join(', ')}`, async () => {
      const model = await loadEffect(id);
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
    const model = await loadEffect('trails');
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
      const model = await loadEffect(id);
      const img = randomImage(7);
      const a = await model.runTensor(img, { strength: 0.2 });
      const a2 = Float32Array.from(a.data);
      const b = await model.runTensor(img, { strength: 0.9 });
      expect(compare(a2, b.data).bytes, id).toBeGreaterThan(10);
      await model.dispose();
    }
  });
});

/** A random I420 frame (every byte uniform: many colours outside the RGB gamut, so clipping is exercised). */
function randomFrame(w: number, h: number, seed: number): VideoFrame {
  const f = blackFrame(w, h);
  const r = rng(seed);
  for (let i = 0; i < f.data.length; i++) f.data[i] = Math.floor(r() * 256);
  return f;
}

const RGB: FloatImageSpec = { name: 'image', layout: 'NCHW', range: [0, 1], channels: 'rgb' };

/**
 * Posterize jumps a whole level where x·steps + 0.5 crosses an integer; the graph converts I420 in
 * float32 and the reference in float64, so a value within 1e-4 of a boundary may fall either way.
 * Those pixels (with the 2×2 block sharing their chroma) are left out and counted.
 */
function posterAmbiguous(rgb: Float32Array, w: number, h: number, strength: number): Uint8Array {
  const steps = refPosterLevels(strength) - 1;
  const skip = new Uint8Array(w * h);
  const n = w * h;
  for (let i = 0; i < 3 * n; i++) {
    const v = rgb[i]! * steps + 0.5;
    if (Math.abs(v - Math.round(v)) < 1e-4 && v > 0.5 && v < steps + 0.5) {
      const p = i % n;
      const x = (p % w) & ~1;
      const y = Math.floor(p / w) & ~1;
      for (const [dx, dy] of [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ] as const)
        skip[(y + dy) * w + x + dx] = 1;
    }
  }
  return skip;
}

/** Max byte difference between two I420 frames, leaving out the skipped pixels and their chroma. */
function i420Diff(a: Uint8Array, b: Uint8Array, w: number, h: number, skip?: Uint8Array): number {
  let m = 0;
  const cw = w / 2;
  for (let i = 0; i < a.length; i++) {
    let pixel: number;
    if (i < w * h) pixel = i;
    else {
      const c = (i - w * h) % ((w * h) / 4);
      pixel = Math.floor(c / cw) * 2 * w + (c % cw) * 2;
    }
    if (skip?.[pixel]) continue;
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
  }
  return m;
}

describe('built-in models end to end on I420 (colour conversion inside the graph)', () => {
  const strengths = [0, 0.13, 0.5, 0.77, 1];
  for (const id of BUILTIN_MODEL_IDS.filter((m) => m !== 'trails')) {
    it(`${id}: I420 out within 1/255 of JS conversion → reference → JS conversion`, async () => {
      const model = await loadFused(id);
      try {
        for (const [k, strength] of strengths.entries()) {
          const frame = randomFrame(W, H, 3000 + k);
          const tint = [rng(k)(), 0.2, 0.85];
          const out = await model.runFrame(frame, { strength, text: tint });
          expect([out.width, out.height, out.data.length]).toEqual([W, H, (W * H * 3) / 2]);
          const rgb = i420ToTensor(frame, RGB);
          const expected = tensorToI420(
            runReference(id, { width: W, height: H, data: rgb }, strength, { tint }),
            RGB,
            W,
            H,
          );
          const skip = id === 'posterize' ? posterAmbiguous(rgb, W, H, strength) : undefined;
          if (skip)
            expect(
              skip.reduce((a, b) => a + b, 0),
              `${id} @ ${strength}: ambiguous pixels`,
            ).toBeLessThan((W * H) / 100);
          expect(i420Diff(out.data, expected, W, H, skip), `${id} @ ${strength}`).toBeLessThanOrEqual(1);
        }
      } finally {
        await model.dispose();
      }
    });
  }

  it('trails keeps its float state between frames: a chain of frames matches the reference chain', async () => {
    const model = await loadFused('trails');
    let previous: Float32Array = new Float32Array(3 * W * H);
    for (let f = 0; f < 4; f++) {
      const frame = randomFrame(W, H, 4000 + f);
      const out = await model.runFrame(frame, { strength: 0.9 });
      const state = runReference('trails', { width: W, height: H, data: i420ToTensor(frame, RGB) }, 0.9, {
        previous,
      });
      expect(i420Diff(out.data, tensorToI420(state, RGB, W, H), W, H), `frame ${f}`).toBeLessThanOrEqual(1);
      previous = state;
    }
    // A size change starts again from black: the output is the input's round trip.
    const small = randomFrame(8, 6, 5);
    const out = await model.runFrame(small, { strength: 1 });
    const identity = tensorToI420(i420ToTensor(small, RGB), RGB, 8, 6);
    expect(i420Diff(out.data, identity, 8, 6)).toBeLessThanOrEqual(1);
    await model.dispose();
  });

  it("runs frames that live in shared memory (the engine's frame pool) and leaves them untouched", async () => {
    const model = await loadFused('color-grade');
    const frame = randomFrame(W, H, 77);
    const shared = new Uint8Array(new SharedArrayBuffer(frame.data.length + 16), 16, frame.data.length);
    shared.set(frame.data);
    const a = await model.runFrame(frame, { strength: 0.7 });
    const b = await model.runFrame({ ...frame, data: shared }, { strength: 0.7 });
    expect(b.data).toEqual(a.data);
    expect(shared).toEqual(frame.data);
    await model.dispose();
  });

  it('refuses odd sizes and short frames with a clear error', async () => {
    const model = await loadFused('posterize');
    await expect(model.runFrame({ ...randomFrame(8, 6, 1), width: 7 })).rejects.toThrow(
      /even sizes, got 7×6/,
    );
    const f = randomFrame(8, 6, 1);
    await expect(model.runFrame({ ...f, data: f.data.subarray(0, 10) })).rejects.toThrow(/needs 72/);
    await expect(model.runTensor({ width: 8, height: 6, data: new Float32Array(144) })).rejects.toThrow(
      /takes I420 frames/,
    );
    await model.dispose();
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
      expect(readContract(sidecarPath(paths[id])).input.layout).toBe('I420');
      expect(Buffer.compare(buildEffectBytes(id), buildEffectBytes(id))).toBe(0);
    }
    const before = statSync(paths.edges).mtimeMs;
    const ino = statSync(paths.edges).ino;
    ensureBuiltinModel(sub, 'edges');
    expect(statSync(paths.edges).ino).toBe(ino);
    expect(statSync(paths.edges).mtimeMs).toBe(before);
  });
});
