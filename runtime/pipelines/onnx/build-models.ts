import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelContract } from './contract';
import { GraphBuilder } from './graph';

/**
 * The built-in effect models: real ONNX graphs, generated here by our own code (no Python, no
 * download) and executed by onnxruntime. Every model takes `image` [1,3,H,W] (NCHW float RGB
 * 0–1, dynamic H/W) and a scalar `strength` [1] (the Pipeline node's live knob), and returns
 * `output` [1,3,H,W]. The constants below are shared with the plain-TypeScript references in
 * ./reference.ts, which the tests compare against.
 */

/** Ids of the built-in ONNX effects (they match nodes/pipeline/catalog.ts). */
export const BUILTIN_MODEL_IDS = [
  'edges',
  'blur',
  'posterize',
  'color-grade',
  'prompt-tint',
  'trails',
] as const;
export type BuiltinModelId = (typeof BUILTIN_MODEL_IDS)[number];

/** True when `id` names a built-in ONNX effect. */
export function isBuiltinModel(id: string): id is BuiltinModelId {
  return (BUILTIN_MODEL_IDS as readonly string[]).includes(id);
}

/** BT.601 luma weights. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/** Edges: sketch = 1 − clip(|∇luma| · gain), gain = EDGE_GAIN0 + EDGE_GAIN1 · strength. */
export const EDGE_GAIN0 = 0.5;
export const EDGE_GAIN1 = 5.5;
export const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1] as const;
export const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1] as const;

/**
 * Blur: a bank of normalised Gaussian kernels (sigma 0 is the identity), blended by hat weights
 * of strength·(n−1), so the radius grows smoothly with strength while the graph stays fixed.
 */
export const BLUR_RADIUS = 12;
export const BLUR_SIGMAS = [0, 1, 2.25, 3.5, 4.75] as const;

/** The blur kernel bank: one row of 2·BLUR_RADIUS+1 taps per sigma. */
export function blurBank(): number[][] {
  const taps = 2 * BLUR_RADIUS + 1;
  return BLUR_SIGMAS.map((sigma) => {
    const row = new Array<number>(taps).fill(0);
    if (sigma === 0) {
      row[BLUR_RADIUS] = 1;
      return row;
    }
    let sum = 0;
    for (let i = 0; i < taps; i++) {
      const d = i - BLUR_RADIUS;
      row[i] = Math.exp(-(d * d) / (2 * sigma * sigma));
      sum += row[i]!;
    }
    return row.map((v) => v / sum);
  });
}

/** Posterize: levels = floor(POSTER_MIN + 0.5 + (1 − strength) · POSTER_SPAN); strength 1 → 2 levels, 0 → 16. */
export const POSTER_MIN = 2;
export const POSTER_SPAN = 14;

/** Colour grade: a warm 3×3 colour matrix with bias, then a smoothstep contrast curve, blended by strength. */
export const GRADE_MATRIX = [
  [1.08, 0.06, -0.02],
  [0.02, 1.0, -0.01],
  [-0.05, 0.03, 0.88],
] as const;
export const GRADE_BIAS = [0.02, 0.0, 0.03] as const;
export const GRADE_CURVE = 0.7;

/** Prompt tint: tinted = clip(luma · (TINT_BASE + TINT_GAIN · tint)), blended by strength. */
export const TINT_BASE = 0.4;
export const TINT_GAIN = 1.2;

/** Trails: out = max(current, previous · TRAILS_DECAY · strength). */
export const TRAILS_DECAY = 0.98;

const IMG: readonly (number | string)[] = [1, 3, 'height', 'width'];

function imageBlend(g: GraphBuilder, image: string, effect: string, strength: string): string {
  // out = image + strength · (effect − image)
  return g.op('Add', [image, g.op('Mul', [strength, g.op('Sub', [effect, image])])]);
}

function luma(g: GraphBuilder, image: string): string {
  return g.op('Conv', [image, g.floats(LUMA, [1, 3, 1, 1])]);
}

function clip01(g: GraphBuilder, x: string): string {
  return g.op('Clip', [x, g.scalar0(0), g.scalar0(1)]);
}

function buildEdges(): GraphBuilder {
  const g = new GraphBuilder('edges');
  const image = g.input('image', IMG);
  const strength = g.input('strength', [1]);
  const y = luma(g, image);
  const padded = g.op('Pad', [y, g.ints([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'edge' });
  const grads = g.op('Conv', [padded, g.floats([...SOBEL_X, ...SOBEL_Y], [2, 1, 3, 3])]);
  const sq = g.op('Mul', [grads, grads]);
  const mag = g.op('Sqrt', [g.op('ReduceSum', [sq, g.ints([1])], { keepdims: 1 })]);
  const gain = g.op('Add', [g.op('Mul', [strength, g.scalar(EDGE_GAIN1)]), g.scalar(EDGE_GAIN0)]);
  const sketch = g.op('Sub', [g.scalar(1), clip01(g, g.op('Mul', [mag, gain]))]);
  g.output('output', g.op('Expand', [sketch, g.ints([1, 3, 1, 1])]), IMG);
  return g;
}

function buildBlur(): GraphBuilder {
  const g = new GraphBuilder('blur');
  const image = g.input('image', IMG);
  const strength = g.input('strength', [1]);
  const n = BLUR_SIGMAS.length;
  const taps = 2 * BLUR_RADIUS + 1;
  // hat_k(s) = relu(1 − |s·(n−1) − k|): at most two neighbouring kernels are mixed.
  const pos = g.op('Mul', [strength, g.scalar(n - 1)]);
  const idx = g.floats(
    Array.from({ length: n }, (_, k) => k),
    [1, n],
  );
  const hat = g.op('Relu', [g.op('Sub', [g.scalar(1), g.op('Abs', [g.op('Sub', [pos, idx])])])]);
  const kernel = g.op('MatMul', [hat, g.floats(blurBank().flat(), [n, taps])]);
  const kh = g.op('Expand', [g.op('Reshape', [kernel, g.ints([1, 1, 1, taps])]), g.ints([3, 1, 1, 1])]);
  const kv = g.op('Expand', [g.op('Reshape', [kernel, g.ints([1, 1, taps, 1])]), g.ints([3, 1, 1, 1])]);
  const r = BLUR_RADIUS;
  const padded = g.op('Pad', [image, g.ints([0, 0, r, r, 0, 0, r, r])], { mode: 'edge' });
  const h = g.op('Conv', [padded, kh], { group: 3 });
  g.output('output', g.op('Conv', [h, kv], { group: 3 }), IMG);
  return g;
}

function buildPosterize(): GraphBuilder {
  const g = new GraphBuilder('posterize');
  const image = g.input('image', IMG);
  const strength = g.input('strength', [1]);
  const inv = g.op('Sub', [g.scalar(1), strength]);
  const levels = g.op('Floor', [
    g.op('Add', [g.op('Mul', [inv, g.scalar(POSTER_SPAN)]), g.scalar(POSTER_MIN + 0.5)]),
  ]);
  const steps = g.op('Sub', [levels, g.scalar(1)]);
  const q = g.op('Floor', [g.op('Add', [g.op('Mul', [image, steps]), g.scalar(0.5)])]);
  g.output('output', g.op('Div', [q, steps]), IMG);
  return g;
}

function buildColorGrade(): GraphBuilder {
  const g = new GraphBuilder('color-grade');
  const image = g.input('image', IMG);
  const strength = g.input('strength', [1]);
  const graded = clip01(
    g,
    g.op('Conv', [image, g.floats(GRADE_MATRIX.flat(), [3, 3, 1, 1]), g.floats(GRADE_BIAS, [3])]),
  );
  // smoothstep(x) = x²·(3 − 2x)
  const smooth = g.op('Mul', [
    g.op('Mul', [graded, graded]),
    g.op('Sub', [g.scalar(3), g.op('Mul', [graded, g.scalar(2)])]),
  ]);
  const curved = g.op('Add', [graded, g.op('Mul', [g.op('Sub', [smooth, graded]), g.scalar(GRADE_CURVE)])]);
  g.output('output', imageBlend(g, image, curved, strength), IMG);
  return g;
}

function buildPromptTint(): GraphBuilder {
  const g = new GraphBuilder('prompt-tint');
  const image = g.input('image', IMG);
  const strength = g.input('strength', [1]);
  const tint = g.input('text_embedding', [1, 3]);
  const t = g.op('Reshape', [tint, g.ints([1, 3, 1, 1])]);
  const factor = g.op('Add', [g.op('Mul', [t, g.scalar(TINT_GAIN)]), g.scalar(TINT_BASE)]);
  const tinted = clip01(g, g.op('Mul', [luma(g, image), factor]));
  g.output('output', imageBlend(g, image, tinted, strength), IMG);
  return g;
}

function buildTrails(): GraphBuilder {
  const g = new GraphBuilder('trails');
  const image = g.input('image', IMG);
  const previous = g.input('previous', IMG);
  const strength = g.input('strength', [1]);
  const decay = g.op('Mul', [strength, g.scalar(TRAILS_DECAY)]);
  g.output('output', g.op('Max', [image, g.op('Mul', [previous, decay])]), IMG);
  return g;
}

const BUILDERS: Record<BuiltinModelId, { build: () => GraphBuilder; name: string; description: string }> = {
  edges: {
    build: buildEdges,
    name: 'Edges (sketch)',
    description: 'Sobel edge magnitude of luma as an inverted sketch.',
  },
  blur: {
    build: buildBlur,
    name: 'Blur',
    description: 'Separable Gaussian blur from a kernel bank blended by strength.',
  },
  posterize: {
    build: buildPosterize,
    name: 'Posterize',
    description: 'Quantises each channel to 2–16 levels.',
  },
  'color-grade': {
    build: buildColorGrade,
    name: 'Colour grade',
    description: 'Warm colour matrix and smoothstep contrast curve.',
  },
  'prompt-tint': {
    build: buildPromptTint,
    name: 'Prompt tint',
    description:
      'Tints luma by a 3-value text embedding. The embedding is a deterministic hash of the prompt words (plus a small colour-word table), not a learned text encoder.',
  },
  trails: {
    build: buildTrails,
    name: 'Trails',
    description: 'Feedback: max(current, previous output · decay).',
  },
};

/** The sidecar contract of a built-in model. */
export function builtinContract(id: BuiltinModelId): ModelContract {
  const b = BUILDERS[id];
  const image = { layout: 'NCHW' as const, range: [0, 1] as [number, number], channels: 'rgb' as const };
  return {
    format: 'patchbay-onnx-model',
    version: 1,
    name: b.name,
    description: b.description,
    input: { name: 'image', ...image },
    output: { name: 'output', ...image },
    size: { kind: 'dynamic', multiple_of: 1 },
    strength: { input: 'strength' },
    ...(id === 'trails' ? { feedback: { input: 'previous' } } : {}),
    ...(id === 'prompt-tint' ? { text: { input: 'text_embedding', embedding: 'hash-rgb' as const } } : {}),
  };
}

/** The ONNX bytes of a built-in model (deterministic: the same bytes on every call and machine). */
export function buildModelBytes(id: BuiltinModelId): Uint8Array {
  const b = BUILDERS[id];
  return b.build().toBytes(17, `Patchbay built-in model "${id}": ${b.description}`);
}

function writeIfChanged(path: string, bytes: Uint8Array): boolean {
  try {
    const old = readFileSync(path);
    if (old.length === bytes.length && Buffer.compare(old, bytes) === 0) return false;
  } catch {
    // missing: write it
  }
  // Write beside and rename, so a concurrent reader never sees half a model.
  const tmp = `${path}.${process.pid}.${createHash('sha1').update(bytes).digest('hex').slice(0, 8)}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
  return true;
}

/**
 * Writes a built-in model and its sidecar JSON into `dir` (created when missing) unless the
 * files there already hold exactly these bytes; returns the model's path.
 */
export function ensureBuiltinModel(dir: string, id: BuiltinModelId): string {
  mkdirSync(dir, { recursive: true });
  const modelPath = join(dir, `${id}.onnx`);
  writeIfChanged(modelPath, buildModelBytes(id));
  writeIfChanged(
    join(dir, `${id}.json`),
    new TextEncoder().encode(`${JSON.stringify(builtinContract(id), null, 2)}\n`),
  );
  return modelPath;
}

/** Writes every built-in model into `dir`; returns id → path. */
export function ensureBuiltinModels(dir: string): Record<BuiltinModelId, string> {
  return Object.fromEntries(BUILTIN_MODEL_IDS.map((id) => [id, ensureBuiltinModel(dir, id)])) as Record<
    BuiltinModelId,
    string
  >;
}
