import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { I420_DIMS, i420ToRgb, rgbToI420, writeIfChanged } from '../onnx/build-models';
import type { ModelContract } from '../onnx/contract';
import { GraphBuilder } from '../onnx/graph';
import { TfjsConverter } from '../onnx/tfjs/convert';
import { parseTfjsModel, TfjsModelError, type TfjsGraph } from '../onnx/tfjs/model';
import {
  LEARNED_PACKAGE,
  LEARNED_SOURCES,
  LEARNED_VERSION,
  readLearnedSource,
  type LearnedSourceId,
} from './source';

/**
 * The learned pipelines the runtime runs: each is one ONNX graph, I420 bytes in and out like the
 * built-in effects, with the converted TF.js model inside and everything around it fused in —
 * the colour conversion, the resize to the model's input (a half-pixel linear Resize: at 512²
 * → 256² that is exactly the 2×2 mean), the model's own input scaling, the post-processing
 * (mask smoothing and threshold, keypoint decoding) and the effect drawn from it.
 */

export const LEARNED_PIPELINE_IDS = ['segment-blur', 'segment-color', 'segment-mask', 'pose-glow'] as const;
export type LearnedPipelineId = (typeof LEARNED_PIPELINE_IDS)[number];

/**
 * onnxruntime's optimisation level for these graphs: `all`. Unlike the 1–3-channel built-ins,
 * MobileNet-style convolutions with 16–1024 channels are what the NCHWc layout is made for.
 */
export const LEARNED_GRAPH_OPTIMIZATION = 'all' as const;

/** Where the converted models are cached inside a models folder. */
export function learnedModelsDir(modelsDir: string): string {
  return join(modelsDir, 'learned');
}

export function isLearnedPipeline(id: string): id is LearnedPipelineId {
  return (LEARNED_PIPELINE_IDS as readonly string[]).includes(id);
}

/** The TF.js model each pipeline runs. */
export function learnedSourceOf(id: LearnedPipelineId): LearnedSourceId {
  return id.startsWith('segment') ? 'selfie' : 'posenet';
}

/** Selfie segmentation's fixed input size. */
export const SELFIE_SIZE = 256;
/** PoseNet's input size here: 16k + 1, as it was trained (257 gives 17×17 cells, cell i at pixel 16·i). */
export const POSE_SIZE = 257;
export const POSE_STRIDE = 16;

/** The mask: smoothed = prev·SMOOTHING + mask·(1 − SMOOTHING); soft = clip((smoothed − THRESHOLD)/SOFTNESS + ½). */
export const MASK_SMOOTHING = 0.5;
export const MASK_THRESHOLD = 0.5;
export const MASK_SOFTNESS = 0.25;
/** Background colour of segment-color (a keying green). */
export const BACKGROUND_COLOR = [0.0, 0.69, 0.25] as const;

/** PoseNet's 17 keypoints and the limbs drawn between them. */
export const POSE_KEYPOINTS = [
  'nose',
  'leftEye',
  'rightEye',
  'leftEar',
  'rightEar',
  'leftShoulder',
  'rightShoulder',
  'leftElbow',
  'rightElbow',
  'leftWrist',
  'rightWrist',
  'leftHip',
  'rightHip',
  'leftKnee',
  'rightKnee',
  'leftAnkle',
  'rightAnkle',
] as const;
export const POSE_LIMBS: readonly [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 3],
  [2, 4],
  [5, 6],
  [5, 7],
  [7, 9],
  [6, 8],
  [8, 10],
  [5, 11],
  [6, 12],
  [11, 12],
  [11, 13],
  [13, 15],
  [12, 14],
  [14, 16],
];
/** Points sampled along each limb (the glow is a sum of Gaussians at the joints and along the limbs). */
export const LIMB_SAMPLES = 10;
/** Keypoint score → weight: clip((score − POSE_MIN_SCORE) / POSE_SCORE_RAMP). */
export const POSE_MIN_SCORE = 0.15;
export const POSE_SCORE_RAMP = 0.25;
/** Glow radius as a fraction of the frame's smaller side, and its colour. */
export const GLOW_SIGMA = 0.014;
export const GLOW_COLOR = [0.2, 1.0, 0.9] as const;

interface Describe {
  name: string;
  description: string;
}

export const LEARNED_INFO: Record<LearnedPipelineId, Describe> = {
  'segment-blur': {
    name: 'Segment: background blur',
    description:
      'MediaPipe selfie segmentation (learned, Apache-2.0) finds the person; the background is blurred. Strength: how much.',
  },
  'segment-color': {
    name: 'Segment: background colour',
    description:
      'MediaPipe selfie segmentation finds the person; the background is replaced by keying green. Strength: how much.',
  },
  'segment-mask': {
    name: 'Segment: mask',
    description:
      'MediaPipe selfie segmentation as a matte: the person white, the background black (for keying in other tools).',
  },
  'pose-glow': {
    name: 'Pose: skeleton glow',
    description:
      'PoseNet MobileNetV1 (learned, Apache-2.0) finds 17 body keypoints; a glowing skeleton is drawn over the person. Strength: glow intensity.',
  },
};

function loadGraph(sourceDir: string, id: LearnedSourceId): TfjsGraph {
  let files: { json: string; bin: Uint8Array };
  try {
    files = readLearnedSource(sourceDir, id);
  } catch (err) {
    throw new TfjsModelError(id, `cannot read its files in ${sourceDir} (${(err as Error).message})`);
  }
  return parseTfjsModel(id, files.json, [files.bin]);
}

function resizeTo(
  g: GraphBuilder,
  x: string,
  h: string | number,
  w: string | number,
  channels?: string,
): string {
  const nc = channels ?? g.op('Slice', [g.op('Shape', [x]), g.ints([0]), g.ints([2])]);
  const hw =
    typeof h === 'number' && typeof w === 'number'
      ? g.ints([h, w])
      : g.op('Concat', [h as string, w as string], { axis: 0 });
  return g.op('Resize', [x, '', '', g.op('Concat', [nc, hw], { axis: 0 })], {
    mode: 'linear',
    coordinate_transformation_mode: 'half_pixel',
  });
}

function frameSize(g: GraphBuilder, rgb: string): { h: string; w: string } {
  const shape = g.op('Shape', [rgb]);
  return { h: g.op('Gather', [shape, g.ints([2])]), w: g.op('Gather', [shape, g.ints([3])]) };
}

/** Selfie segmentation: rgb → the soft mask [1,1,H,W] at frame size, and the smoothed low-res state. */
function segmentMask(
  g: GraphBuilder,
  graph: TfjsGraph,
  rgb: string,
  previous: string,
): { mask: string; state: string } {
  const small = resizeTo(g, rgb, SELFIE_SIZE, SELFIE_SIZE);
  const conv = new TfjsConverter(g, graph, { input_1: small });
  const raw = conv.tensor('activation_10');
  if (!raw.nchw) throw new TfjsModelError(graph.name, 'activation_10 is not a 4-D image');
  const state = g.op('Add', [
    g.op('Mul', [raw.name, g.scalar(1 - MASK_SMOOTHING)]),
    g.op('Mul', [previous, g.scalar(MASK_SMOOTHING)]),
  ]);
  const soft = g.op('Clip', [
    g.op('Add', [
      g.op('Mul', [state, g.scalar(1 / MASK_SOFTNESS)]),
      g.scalar(0.5 - MASK_THRESHOLD / MASK_SOFTNESS),
    ]),
    g.scalar0(0),
    g.scalar0(1),
  ]);
  const { h, w } = frameSize(g, rgb);
  return { mask: resizeTo(g, soft, h, w, g.ints([1, 1])), state };
}

/** A strong, cheap blur: the 256² copy pooled to 64², a 3×3 box, linear back up. */
function backgroundBlur(g: GraphBuilder, rgb: string): string {
  const small = resizeTo(g, rgb, SELFIE_SIZE, SELFIE_SIZE);
  const tiny = g.op('AveragePool', [small], { kernel_shape: [4, 4], strides: [4, 4] });
  const box = g.op('AveragePool', [tiny], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
  const { h, w } = frameSize(g, rgb);
  return resizeTo(g, box, h, w, g.ints([1, 3]));
}

function buildSegment(id: LearnedPipelineId, graph: TfjsGraph): GraphBuilder {
  const g = new GraphBuilder(id);
  const i420 = g.input('i420', I420_DIMS, 'uint8');
  const previous = g.input('previous', [1, 1, SELFIE_SIZE, SELFIE_SIZE]);
  const strength = g.input('strength', [1]);
  const { rgb, width } = i420ToRgb(g, i420);
  const { mask, state } = segmentMask(g, graph, rgb, previous);
  let out: string;
  if (id === 'segment-mask') out = g.op('Expand', [mask, g.ints([1, 3, 1, 1])]);
  else {
    const target = id === 'segment-blur' ? backgroundBlur(g, rgb) : g.floats(BACKGROUND_COLOR, [1, 3, 1, 1]);
    // background = rgb + s·(target − rgb); out = background + mask·(rgb − background)
    const bg = g.op('Add', [rgb, g.op('Mul', [strength, g.op('Sub', [target, rgb])])]);
    out = g.op('Add', [bg, g.op('Mul', [mask, g.op('Sub', [rgb, bg])])]);
  }
  g.output('output', rgbToI420(g, out, width), I420_DIMS, 'uint8');
  g.output('state', state, [1, 1, SELFIE_SIZE, SELFIE_SIZE]);
  return g;
}

/**
 * PoseNet keypoints in the graph: sigmoid heatmaps [17, cells], the best cell per keypoint
 * (ArgMax), its offsets (GatherElements), position = cell · stride + offset in the 256² input,
 * scaled to 0–1 of the frame. Returns [17] y, x and score tensors.
 */
function poseKeypoints(
  g: GraphBuilder,
  graph: TfjsGraph,
  rgb: string,
): { y: string; x: string; score: string } {
  const small = resizeTo(g, rgb, POSE_SIZE, POSE_SIZE);
  // PoseNet takes −1…1.
  const scaled = g.op('Sub', [g.op('Mul', [small, g.scalar(2)]), g.scalar(1)]);
  const conv = new TfjsConverter(g, graph, { image: scaled });
  const heat = conv.tensor('MobilenetV1/heatmap_2/BiasAdd');
  const off = conv.tensor('MobilenetV1/offset_2/BiasAdd');
  const cells = (POSE_SIZE - 1) / POSE_STRIDE + 1;
  const n = POSE_KEYPOINTS.length;
  const hm = g.op('Sigmoid', [g.op('Reshape', [heat.name, g.ints([n, cells * cells])])]);
  const idx = g.op('ArgMax', [hm], { axis: 1, keepdims: 1 }); // [17,1] int64
  const score = g.op('Reshape', [g.op('ReduceMax', [hm], { axes: [1], keepdims: 1 }), g.ints([n])]);
  const offs = g.op('Reshape', [off.name, g.ints([2 * n, cells * cells])]);
  const both = g.op('Concat', [idx, idx], { axis: 0 }); // [34,1]
  const o = g.op('Reshape', [g.op('GatherElements', [offs, both], { axis: 1 }), g.ints([2 * n])]);
  const cellY = g.op('Cast', [g.op('Div', [idx, g.ints([cells])])], { to: 1 });
  const cellX = g.op('Cast', [g.op('Mod', [idx, g.ints([cells])])], { to: 1 });
  const oy = g.op('Slice', [o, g.ints([0]), g.ints([n])]);
  const ox = g.op('Slice', [o, g.ints([n]), g.ints([2 * n])]);
  // Input pixel p (0…256) has its centre at (p + ½)/257 of the frame (half-pixel resize).
  const toFrame = (cell: string, offset: string) =>
    g.op('Mul', [
      g.op('Add', [
        g.op('Mul', [g.op('Reshape', [cell, g.ints([n])]), g.scalar(POSE_STRIDE)]),
        g.op('Add', [offset, g.scalar(0.5)]),
      ]),
      g.scalar(1 / POSE_SIZE),
    ]);
  const y = toFrame(cellY, oy);
  const x = toFrame(cellX, ox);
  return { y, x, score };
}

/** The points the glow is drawn at: the 17 joints and LIMB_SAMPLES along each limb, as a [17 → P] matrix. */
export function glowPointMatrix(): { matrix: number[]; points: number } {
  const n = POSE_KEYPOINTS.length;
  const rows: number[][] = [];
  for (let k = 0; k < n; k++) rows.push(Array.from({ length: n }, (_, j) => (j === k ? 1 : 0)));
  for (const [a, b] of POSE_LIMBS)
    for (let s = 1; s <= LIMB_SAMPLES; s++) {
      const t = s / (LIMB_SAMPLES + 1);
      const row = new Array<number>(n).fill(0);
      row[a] = 1 - t;
      row[b] = t;
      rows.push(row);
    }
  // Stored as [n, P] for MatMul [1,n]·[n,P].
  const points = rows.length;
  const matrix = new Array<number>(n * points);
  for (let p = 0; p < points; p++) for (let k = 0; k < n; k++) matrix[k * points + p] = rows[p]![k]!;
  return { matrix, points };
}

function buildPose(graph: TfjsGraph): GraphBuilder {
  const g = new GraphBuilder('pose-glow');
  const i420 = g.input('i420', I420_DIMS, 'uint8');
  const strength = g.input('strength', [1]);
  const { rgb, width } = i420ToRgb(g, i420);
  const { y, x, score } = poseKeypoints(g, graph, rgb);
  const n = POSE_KEYPOINTS.length;
  const weight = g.op('Clip', [
    g.op('Mul', [g.op('Sub', [score, g.scalar(POSE_MIN_SCORE)]), g.scalar(1 / POSE_SCORE_RAMP)]),
    g.scalar0(0),
    g.scalar0(1),
  ]);
  const { matrix, points } = glowPointMatrix();
  const m = g.floats(matrix, [n, points]);
  const row = (v: string) => g.op('MatMul', [g.op('Reshape', [v, g.ints([1, n])]), m]); // [1,P]
  const py = row(y);
  const px = row(x);
  // A limb point is as strong as its weaker joint: the limb weight is min over its two ends.
  const wj = g.op('Reshape', [weight, g.ints([1, n])]);
  const limbs = POSE_LIMBS.flatMap(([a, b]) => Array.from({ length: LIMB_SAMPLES }, () => [a, b] as const));
  const ia = g.ints([...Array.from({ length: n }, (_, k) => k), ...limbs.map(([a]) => a)]);
  const ib = g.ints([...Array.from({ length: n }, (_, k) => k), ...limbs.map(([, b]) => b)]);
  const pw = g.op('Min', [g.op('Gather', [wj, ia], { axis: 1 }), g.op('Gather', [wj, ib], { axis: 1 })]); // [1,P]
  const { h, w } = frameSize(g, rgb);
  const hf = g.op('Cast', [h], { to: 1 });
  const wf = g.op('Cast', [w], { to: 1 });
  const side = g.op('Min', [hf, wf]);
  const sigma = g.op('Mul', [side, g.scalar(GLOW_SIGMA)]);
  const inv2s2 = g.op('Div', [g.scalar(-0.5), g.op('Mul', [sigma, sigma])]);
  // Pixel centres (0.5 … L−0.5) as columns [L,1].
  const col = (len: string) =>
    g.op('Reshape', [
      g.op('Add', [
        g.op('Cast', [g.op('Range', [g.int0(0), g.op('Squeeze', [len]), g.int0(1)])], { to: 1 }),
        g.scalar(0.5),
      ]),
      g.ints([-1, 1]),
    ]);
  const ys = col(h); // [H,1]
  const xs = col(w); // [W,1]
  const gauss = (cs: string, p: string, len: string) => {
    const d = g.op('Sub', [cs, g.op('Mul', [p, len])]); // [L,P]
    return g.op('Exp', [g.op('Mul', [g.op('Mul', [d, d]), inv2s2])]);
  };
  const gy = g.op('Mul', [gauss(ys, py, hf), pw]); // [H,P] weighted
  const gx = gauss(xs, px, wf); // [W,P]
  const glow = g.op('MatMul', [gy, g.op('Transpose', [gx], { perm: [1, 0] })]); // [H,W]
  const glow4 = g.op('Unsqueeze', [glow, g.ints([0, 1])]);
  const lit = g.op('Mul', [g.op('Mul', [glow4, strength]), g.floats(GLOW_COLOR, [1, 3, 1, 1])]);
  g.output('output', rgbToI420(g, g.op('Add', [rgb, lit]), width), I420_DIMS, 'uint8');
  return g;
}

/** The ONNX bytes of a learned pipeline, its TF.js model read from `sourceDir`. */
export function buildLearnedBytes(id: LearnedPipelineId, sourceDir: string): Uint8Array {
  const src = learnedSourceOf(id);
  const graph = loadGraph(sourceDir, src);
  const g = id === 'pose-glow' ? buildPose(graph) : buildSegment(id, graph);
  const s = LEARNED_SOURCES[src];
  return g.toBytes(
    17,
    `Patchbay learned pipeline "${id}": ${LEARNED_INFO[id].description} Model: ${s.origin} (${s.licence}), from ${LEARNED_PACKAGE} ${LEARNED_VERSION}.`,
  );
}

export function learnedContract(id: LearnedPipelineId): ModelContract {
  return {
    format: 'patchbay-onnx-model',
    version: 1,
    name: LEARNED_INFO[id].name,
    description: LEARNED_INFO[id].description,
    input: { name: 'i420', layout: 'I420' },
    output: { name: 'output', layout: 'I420' },
    size: { kind: 'dynamic', multiple_of: 2 },
    strength: { input: 'strength' },
    ...(id.startsWith('segment')
      ? { feedback: { input: 'previous', output: 'state', dims: [1, 1, SELFIE_SIZE, SELFIE_SIZE] } }
      : {}),
  };
}

/** Converts a learned pipeline into `<modelsDir>/learned/<id>.onnx` (+ its sidecar) unless already there; returns the path. */
export function ensureLearnedModel(dir: string, id: LearnedPipelineId, sourceDir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${id}.onnx`);
  writeIfChanged(path, buildLearnedBytes(id, sourceDir));
  writeIfChanged(
    join(dir, `${id}.json`),
    new TextEncoder().encode(`${JSON.stringify(learnedContract(id), null, 2)}\n`),
  );
  return path;
}
