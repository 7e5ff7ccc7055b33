import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelContract } from './contract';
import { ELEM, GraphBuilder } from './graph';

/**
 * The built-in effect models: real ONNX graphs, generated here by our own code (no Python, no
 * download) and executed by onnxruntime. Each effect is written once on float RGB (NCHW, 0–1)
 * and built two ways: the model the runtime runs takes the I420 frame as uint8 `i420`
 * [1,1,3H/2,W] and returns `output` in the same form, with the colour conversion inside the
 * graph (onnxruntime's vectorised kernels instead of a JS loop per pixel); the effect alone
 * (`buildEffectBytes`) takes `image` [1,3,H,W] and returns `output` [1,3,H,W]. Both take a scalar
 * `strength` [1] (the Pipeline node's live knob). The constants below are shared with the
 * plain-TypeScript references in ./reference.ts, which the tests compare against.
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

/**
 * The onnxruntime optimisation level the built-in models run at: `extended`, not `all`. `all`
 * adds the NCHWc layout transform, built for convolutions with many channels; on these 1–3-channel
 * graphs its reorders made a 512×512 frame 2–5 ms slower (edges 8.3 → 4.5 ms, colour grade
 * 8.4 → 4.0 ms on the effect alone, one thread).
 */
export const BUILTIN_GRAPH_OPTIMIZATION = 'extended' as const;

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
/** The I420 frame as one uint8 tensor: the Y plane's H rows of W bytes, then U and V (H/2 more rows). */
export const I420_DIMS: readonly (number | string)[] = [1, 1, 'rows', 'width'];

/** The tensors an effect reads: the float RGB image (NCHW, 0–1) and its side inputs. */
interface EffectInputs {
  image: string;
  strength: string;
  /** trails: the previous output (float RGB, same shape as image). */
  previous: string;
  /** prompt-tint: the [1,3] text embedding. */
  text: string;
}

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

function edgesEffect(g: GraphBuilder, { image, strength }: EffectInputs): string {
  const y = luma(g, image);
  const padded = g.op('Pad', [y, g.ints([0, 0, 1, 1, 0, 0, 1, 1])], { mode: 'edge' });
  // Two one-filter convs and a plane-wise sum: ReduceSum over the channel axis of [1,2,H,W] cost
  // 0.9 ms at 512×512, five times the Mul + Add it replaces.
  const gx = g.op('Conv', [padded, g.floats(SOBEL_X, [1, 1, 3, 3])]);
  const gy = g.op('Conv', [padded, g.floats(SOBEL_Y, [1, 1, 3, 3])]);
  const mag = g.op('Sqrt', [g.op('Add', [g.op('Mul', [gx, gx]), g.op('Mul', [gy, gy])])]);
  const gain = g.op('Add', [g.op('Mul', [strength, g.scalar(EDGE_GAIN1)]), g.scalar(EDGE_GAIN0)]);
  const sketch = g.op('Sub', [g.scalar(1), clip01(g, g.op('Mul', [mag, gain]))]);
  return g.op('Expand', [sketch, g.ints([1, 3, 1, 1])]);
}

function blurEffect(g: GraphBuilder, { image, strength }: EffectInputs): string {
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
  return g.op('Conv', [h, kv], { group: 3 });
}

function posterizeEffect(g: GraphBuilder, { image, strength }: EffectInputs): string {
  const inv = g.op('Sub', [g.scalar(1), strength]);
  const levels = g.op('Floor', [
    g.op('Add', [g.op('Mul', [inv, g.scalar(POSTER_SPAN)]), g.scalar(POSTER_MIN + 0.5)]),
  ]);
  const steps = g.op('Sub', [levels, g.scalar(1)]);
  const q = g.op('Floor', [g.op('Add', [g.op('Mul', [image, steps]), g.scalar(0.5)])]);
  return g.op('Div', [q, steps]);
}

function colorGradeEffect(g: GraphBuilder, { image, strength }: EffectInputs): string {
  const graded = clip01(
    g,
    g.op('Conv', [image, g.floats(GRADE_MATRIX.flat(), [3, 3, 1, 1]), g.floats(GRADE_BIAS, [3])]),
  );
  // curved = g + C·(smoothstep(g) − g), smoothstep(g) = g²·(3 − 2g), in Horner form:
  // g·((1 − C) + g·(3C − 2C·g)) — five passes over the image instead of eight.
  const c = GRADE_CURVE;
  const inner = g.op('Add', [g.op('Mul', [graded, g.scalar(-2 * c)]), g.scalar(3 * c)]);
  const outer = g.op('Add', [g.op('Mul', [inner, graded]), g.scalar(1 - c)]);
  const curved = g.op('Mul', [outer, graded]);
  return imageBlend(g, image, curved, strength);
}

function promptTintEffect(g: GraphBuilder, { image, strength, text }: EffectInputs): string {
  const t = g.op('Reshape', [text, g.ints([1, 3, 1, 1])]);
  const factor = g.op('Add', [g.op('Mul', [t, g.scalar(TINT_GAIN)]), g.scalar(TINT_BASE)]);
  const tinted = clip01(g, g.op('Mul', [luma(g, image), factor]));
  return imageBlend(g, image, tinted, strength);
}

function trailsEffect(g: GraphBuilder, { image, strength, previous }: EffectInputs): string {
  const decay = g.op('Mul', [strength, g.scalar(TRAILS_DECAY)]);
  return g.op('Max', [image, g.op('Mul', [previous, decay])]);
}

/** BT.601 full range, as nodes/core/pixels.ts and ./convert.ts: RGB = M · (Y, U − 128, V − 128). */
const YUV_TO_RGB = [
  [1, 0, 1.402],
  [1, -0.344136, -0.714136],
  [1, 1.772, 0],
] as const;
const RGB_TO_UV = [
  [-0.168736, -0.331264, 0.5],
  [0.5, -0.418688, -0.081312],
] as const;

/**
 * I420 bytes → float RGB NCHW 0–1, inside the graph: split the planes (shape arithmetic on the
 * [1,1,3H/2,W] input), nearest-upsample chroma ×2 while still uint8, Cast, then one 1×1 Conv for
 * the BT.601 matrix with the −128 offsets and the 1/255 scale folded into weights and bias, and
 * Clip — the same numbers as i420ToTensor, in onnxruntime's vectorised kernels.
 */
export function i420ToRgb(g: GraphBuilder, i420: string): { rgb: string; width: string } {
  const shape = g.op('Shape', [i420]);
  const rows = g.op('Gather', [shape, g.ints([2])]);
  const width = g.op('Gather', [shape, g.ints([3])]);
  const height = g.op('Div', [g.op('Mul', [rows, g.ints([2])]), g.ints([3])]);
  const axis2 = g.ints([2]);
  const y = g.op('Slice', [i420, g.ints([0]), height, axis2]);
  const chroma = g.op('Slice', [i420, height, rows, axis2]);
  const uvShape = g.op(
    'Concat',
    [g.ints([1, 2]), g.op('Div', [height, g.ints([2])]), g.op('Div', [width, g.ints([2])])],
    { axis: 0 },
  );
  const uv = g.op('Reshape', [chroma, uvShape]);
  const uvFull = g.op('Resize', [uv, '', g.floats([1, 1, 2, 2], [4])], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  const yuv = g.op('Cast', [g.op('Concat', [y, uvFull], { axis: 1 })], { to: ELEM.float });
  const weights = YUV_TO_RGB.flat().map((v) => v / 255);
  const bias = YUV_TO_RGB.map((row) => (-128 * (row[1] + row[2])) / 255);
  const rgb = clip01(g, g.op('Conv', [yuv, g.floats(weights, [3, 3, 1, 1]), g.floats(bias, [3])]));
  return { rgb, width };
}

/**
 * Float RGB NCHW 0–1 → I420 bytes [1,1,3H/2,W], inside the graph: Clip, luma by a 1×1 Conv;
 * chroma from the 2×2 mean (AveragePool) through a 1×1 Conv with the +128 bias; Round, Clip,
 * Cast to uint8; the U and V planes flattened under the Y plane. As tensorToI420 does.
 */
export function rgbToI420(g: GraphBuilder, rgb: string, width: string): string {
  const c = clip01(g, rgb);
  const u8 = (x: string) =>
    g.op('Cast', [g.op('Clip', [g.op('Round', [x]), g.scalar0(0), g.scalar0(255)])], { to: ELEM.uint8 });
  const y = u8(
    g.op('Conv', [
      c,
      g.floats(
        LUMA.map((v) => v * 255),
        [1, 3, 1, 1],
      ),
    ]),
  );
  const pooled = g.op('AveragePool', [c], { kernel_shape: [2, 2], strides: [2, 2] });
  const uv = u8(
    g.op('Conv', [
      pooled,
      g.floats(
        RGB_TO_UV.flat().map((v) => v * 255),
        [2, 3, 1, 1],
      ),
      g.floats([128, 128], [2]),
    ]),
  );
  const flat = g.op('Reshape', [uv, g.op('Concat', [g.ints([1, 1, -1]), width], { axis: 0 })]);
  return g.op('Concat', [y, flat], { axis: 2 });
}

interface Builder {
  effect: (g: GraphBuilder, inputs: EffectInputs) => string;
  name: string;
  description: string;
  text?: boolean;
  feedback?: boolean;
}

/** The effect alone: float RGB NCHW in and out (tests compare it with ./reference.ts; the bench times it). */
function buildEffectGraph(id: BuiltinModelId): GraphBuilder {
  const b = BUILDERS[id];
  const g = new GraphBuilder(id);
  const image = g.input('image', IMG);
  const previous = b.feedback ? g.input('previous', IMG) : '';
  const strength = g.input('strength', [1]);
  const text = b.text ? g.input('text_embedding', [1, 3]) : '';
  g.output('output', b.effect(g, { image, strength, previous, text }), IMG);
  return g;
}

/**
 * The model the runtime runs: I420 bytes in, I420 bytes out, the colour conversion fused around
 * the effect. Feedback models also return their float RGB output as `state`, fed back as
 * `previous` on the next frame (never re-quantised through I420).
 */
function buildFusedGraph(id: BuiltinModelId): GraphBuilder {
  const b = BUILDERS[id];
  const g = new GraphBuilder(id);
  const i420 = g.input('i420', I420_DIMS, 'uint8');
  const previous = b.feedback ? g.input('previous', IMG) : '';
  const strength = g.input('strength', [1]);
  const text = b.text ? g.input('text_embedding', [1, 3]) : '';
  const { rgb, width } = i420ToRgb(g, i420);
  const out = b.effect(g, { image: rgb, strength, previous, text });
  g.output('output', rgbToI420(g, out, width), I420_DIMS, 'uint8');
  if (b.feedback) g.output('state', out, IMG);
  return g;
}

const BUILDERS: Record<BuiltinModelId, Builder> = {
  edges: {
    effect: edgesEffect,
    name: 'Edges (sketch)',
    description: 'Sobel edge magnitude of luma as an inverted sketch.',
  },
  blur: {
    effect: blurEffect,
    name: 'Blur',
    description: 'Separable Gaussian blur from a kernel bank blended by strength.',
  },
  posterize: {
    effect: posterizeEffect,
    name: 'Posterize',
    description: 'Quantises each channel to 2–16 levels.',
  },
  'color-grade': {
    effect: colorGradeEffect,
    name: 'Colour grade',
    description: 'Warm colour matrix and smoothstep contrast curve.',
  },
  'prompt-tint': {
    effect: promptTintEffect,
    name: 'Prompt tint',
    description:
      'Tints luma by a 3-value text embedding. The embedding is a deterministic hash of the prompt words (plus a small colour-word table), not a learned text encoder.',
    text: true,
  },
  trails: {
    effect: trailsEffect,
    name: 'Trails',
    description: 'Feedback: max(current, previous output · decay).',
    feedback: true,
  },
};

/** The sidecar contract of a built-in model as the runtime runs it: I420 bytes in and out. */
export function builtinContract(id: BuiltinModelId): ModelContract {
  const b = BUILDERS[id];
  return {
    format: 'patchbay-onnx-model',
    version: 1,
    name: b.name,
    description: b.description,
    input: { name: 'i420', layout: 'I420' },
    output: { name: 'output', layout: 'I420' },
    size: { kind: 'dynamic', multiple_of: 2 },
    strength: { input: 'strength' },
    ...(b.feedback ? { feedback: { input: 'previous', output: 'state' } } : {}),
    ...(b.text ? { text: { input: 'text_embedding', embedding: 'hash-rgb' as const } } : {}),
  };
}

/** The contract of the effect alone (`buildEffectBytes`): float RGB NCHW 0–1 in and out. */
export function effectContract(id: BuiltinModelId): ModelContract {
  const b = BUILDERS[id];
  const image = { layout: 'NCHW' as const, range: [0, 1] as [number, number], channels: 'rgb' as const };
  return {
    ...builtinContract(id),
    name: `${b.name} (effect only)`,
    input: { name: 'image', ...image },
    output: { name: 'output', ...image },
    size: { kind: 'dynamic', multiple_of: 1 },
    ...(b.feedback ? { feedback: { input: 'previous' } } : {}),
  };
}

/** The ONNX bytes of a built-in model (deterministic: the same bytes on every call and machine). */
export function buildModelBytes(id: BuiltinModelId): Uint8Array {
  const b = BUILDERS[id];
  return buildFusedGraph(id).toBytes(17, `Patchbay built-in model "${id}": ${b.description}`);
}

/**
 * The effect without the colour conversion (float RGB NCHW in and out, contract
 * `effectContract`): what the reference tests check at 1e-5 and what the bench times as
 * "effect alone".
 */
export function buildEffectBytes(id: BuiltinModelId): Uint8Array {
  const b = BUILDERS[id];
  return buildEffectGraph(id).toBytes(17, `Patchbay built-in effect "${id}" (float RGB): ${b.description}`);
}

export function writeIfChanged(path: string, bytes: Uint8Array): boolean {
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
