import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_TF_OPS, tfjsToOnnx } from './convert';
import {
  halfToFloat,
  parseTfjsModel,
  TfjsModelError,
  type TfAttr,
  type TfjsGraph,
  type TfNode,
} from './model';
import { runTfjsReference, type RefTensor } from './reference';

/**
 * Each TF op the converter maps, alone in a tiny graph on a random NHWC input: the ONNX model
 * (converter + onnxruntime, float32, NCHW inside) against the plain-TS interpreter
 * (./reference.ts: TensorFlow's definitions, NHWC, float64). Sizes are odd on purpose, so SAME
 * padding puts the extra pixel at the end, and strides of 2 leave a remainder.
 */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const r = rng(7);
const rand = (n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * r());

const b64 = (s: string) => Buffer.from(s).toString('base64');
const S = (s: string): TfAttr => ({ s: b64(s) });
const I = (...v: number[]): TfAttr => ({ list: { i: v.map(String) } });
const SL = (...v: string[]): TfAttr => ({ list: { s: v.map(b64) } });
const B = (b: boolean): TfAttr => ({ b });

interface Case {
  nodes: TfNode[];
  consts: Record<string, { shape: number[]; data: number[] | Float32Array; int?: boolean }>;
  input: number[];
  out?: string;
}

function graphOf(c: Case): TfjsGraph {
  const weights = new Map(
    Object.entries(c.consts).map(([k, v]) => [
      k,
      {
        dtype: v.int ? ('int32' as const) : ('float32' as const),
        shape: v.shape,
        data: v.int ? Int32Array.from(v.data) : Float32Array.from(v.data),
      },
    ]),
  );
  const nodes: TfNode[] = [
    { name: 'x', op: 'Placeholder', attr: {} },
    ...Object.keys(c.consts).map((k) => ({ name: k, op: 'Const' })),
    ...c.nodes,
  ];
  return { name: 'test', nodes, weights, outputs: [c.out ?? c.nodes[c.nodes.length - 1]!.name] };
}

async function check(c: Case, tol = 1e-5): Promise<void> {
  const graph = graphOf(c);
  const [, h, w, ch] = c.input as [number, number, number, number];
  const bytes = tfjsToOnnx(graph, { inputShapes: { x: ['h', 'w', ch] } });
  const session = await ort.InferenceSession.create(bytes);
  const data = rand(h * w * ch);
  const got = await session.run({ x: new ort.Tensor('float32', data, c.input) });
  const out = graph.outputs[0]!;
  const ref = runTfjsReference(graph, { x: { shape: c.input, data: Float64Array.from(data) } }, [out])[out]!;
  const actual = got[out.replace(/[/:]/g, '_')]!;
  expect(actual.dims.map(Number)).toEqual(ref.shape);
  const a = actual.data as Float32Array;
  let err = 0;
  let scale = 1;
  for (let i = 0; i < ref.data.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - ref.data[i]!));
    scale = Math.max(scale, Math.abs(ref.data[i]!));
  }
  expect(err).toBeLessThanOrEqual(tol * scale);
  // A wrong layout or padding moves values, it does not only perturb them: the output must not be trivial.
  expect(ref.data.some((v) => Math.abs(v) > 1e-3)).toBe(true);
}

const conv = (name: string, op: string, attrs: Record<string, TfAttr>, inputs: string[]): TfNode => ({
  name,
  op,
  input: inputs,
  attr: {
    data_format: S('NHWC'),
    dilations: I(1, 1, 1, 1),
    strides: I(1, 1, 1, 1),
    padding: S('SAME'),
    ...attrs,
  },
});

const filter = (kh: number, kw: number, ci: number, co: number) => ({
  shape: [kh, kw, ci, co],
  data: rand(kh * kw * ci * co),
});

describe('TF.js → ONNX, op by op against the plain-TS reference', () => {
  it('Conv2D: SAME and VALID, strides 1 and 2, dilation 2, on odd sizes', async () => {
    for (const [pad, stride, dil] of [
      ['SAME', 1, 1],
      ['SAME', 2, 1],
      ['VALID', 2, 1],
      ['SAME', 1, 2],
    ] as const)
      await check({
        input: [1, 9, 11, 3],
        consts: { f: filter(3, 3, 3, 4) },
        nodes: [
          conv(
            'y',
            'Conv2D',
            { padding: S(pad), strides: I(1, stride, stride, 1), dilations: I(1, dil, dil, 1) },
            ['x', 'f'],
          ),
        ],
      });
  });

  it('_FusedConv2D with BiasAdd, then Relu / Relu6 / LeakyRelu / Prelu / Elu', async () => {
    for (const act of ['Relu', 'Relu6', 'LeakyRelu', 'Prelu', 'Elu'])
      await check({
        input: [1, 8, 7, 3],
        consts: {
          f: { shape: [3, 3, 3, 5], data: rand(135, -3, 3) },
          b: { shape: [5], data: rand(5) },
          a: { shape: [5], data: rand(5, 0, 0.5) },
        },
        nodes: [
          conv(
            'y',
            '_FusedConv2D',
            { fused_ops: SL('BiasAdd', act), strides: I(1, 2, 2, 1), leakyrelu_alpha: { f: 0.1 } },
            act === 'Prelu' ? ['x', 'f', 'b', 'a'] : ['x', 'f', 'b'],
          ),
        ],
      });
  });

  it('DepthwiseConv2dNative (multiplier 1 and 2, stride 2) and FusedDepthwiseConv2dNative', async () => {
    await check({
      input: [1, 9, 9, 4],
      consts: { f: filter(3, 3, 4, 1) },
      nodes: [conv('y', 'DepthwiseConv2dNative', { strides: I(1, 2, 2, 1) }, ['x', 'f'])],
    });
    await check({
      input: [1, 6, 7, 3],
      consts: { f: filter(5, 5, 3, 2) },
      nodes: [conv('y', 'DepthwiseConv2dNative', {}, ['x', 'f'])],
    });
    await check({
      input: [1, 6, 7, 3],
      consts: { f: filter(3, 3, 3, 1), b: { shape: [3], data: rand(3) } },
      nodes: [
        conv('y', 'FusedDepthwiseConv2dNative', { fused_ops: SL('BiasAdd', 'Relu6') }, ['x', 'f', 'b']),
      ],
    });
  });

  it('Conv2DBackpropInput (transposed conv), kernel 2 and 3, stride 2, SAME', async () => {
    for (const k of [2, 3])
      await check({
        input: [1, 5, 6, 3],
        consts: {
          s: { shape: [4], data: [1, 10, 12, 2], int: true },
          f: { shape: [k, k, 2, 3], data: rand(k * k * 6) },
        },
        nodes: [conv('y', 'Conv2DBackpropInput', { strides: I(1, 2, 2, 1) }, ['s', 'f', 'x'])],
      });
  });

  it('AvgPool and MaxPool: SAME with a remainder (padding not counted), VALID, global', async () => {
    for (const op of ['AvgPool', 'MaxPool'])
      for (const [pad, k, s] of [
        ['SAME', 3, 2],
        ['VALID', 2, 2],
        ['VALID', 7, 7],
      ] as const)
        await check({
          input: [1, 7, 7, 3],
          consts: {},
          nodes: [conv('y', op, { ksize: I(1, k, k, 1), strides: I(1, s, s, 1), padding: S(pad) }, ['x'])],
        });
  });

  it('binary ops with per-channel, scalar and rank-4 constants and with two activations', async () => {
    for (const op of ['Add', 'AddV2', 'BiasAdd', 'Sub', 'Mul', 'RealDiv', 'Maximum', 'Minimum']) {
      const div = op === 'RealDiv';
      await check({
        input: [1, 5, 4, 3],
        consts: { c: { shape: [3], data: div ? [2, -3, 0.5] : rand(3) } },
        nodes: [{ name: 'y', op, input: ['x', 'c'] }],
      });
      await check({
        input: [1, 5, 4, 3],
        consts: { c: { shape: [], data: [div ? 4 : 0.3] } },
        nodes: [{ name: 'y', op, input: ['c', 'x'] }],
      });
    }
    await check({
      input: [1, 5, 4, 3],
      consts: { c: { shape: [1, 1, 1, 3], data: rand(3) } },
      nodes: [{ name: 'y', op: 'Mul', input: ['c', 'x'] }],
    });
    await check({
      input: [1, 5, 4, 3],
      consts: { f: filter(1, 1, 3, 3) },
      nodes: [conv('a', 'Conv2D', {}, ['x', 'f']), { name: 'y', op: 'Sub', input: ['a', 'x'] }],
    });
  });

  it('AddN and the unary activations', async () => {
    await check({
      input: [1, 4, 5, 2],
      consts: { c: { shape: [2], data: [0.5, -0.25] } },
      nodes: [
        { name: 'a', op: 'Mul', input: ['x', 'c'] },
        { name: 'y', op: 'AddN', input: ['x', 'a', 'x'], attr: { N: { i: '3' } } },
      ],
    });
    for (const op of ['Relu', 'Relu6', 'Sigmoid', 'Tanh', 'Elu', 'LeakyRelu'])
      await check({
        input: [1, 4, 5, 2],
        consts: { c: { shape: [], data: [7] } },
        nodes: [
          { name: 'a', op: 'Mul', input: ['x', 'c'] },
          { name: 'y', op, input: ['a'], attr: { alpha: { f: 0.2 } } },
        ],
      });
    await check({
      input: [1, 4, 5, 2],
      consts: { a: { shape: [1, 1, 2], data: [0.1, 0.7] } },
      nodes: [{ name: 'y', op: 'Prelu', input: ['x', 'a'] }],
    });
  });

  it('ResizeBilinear (half-pixel, align corners, legacy) and ResizeNearestNeighbor', async () => {
    for (const [align, half, size] of [
      [false, true, [10, 14]],
      [true, false, [9, 5]],
      [false, false, [8, 11]],
      [false, true, [3, 2]],
    ] as const)
      await check({
        input: [1, 5, 7, 2],
        consts: { s: { shape: [2], data: [...size], int: true } },
        nodes: [
          {
            name: 'y',
            op: 'ResizeBilinear',
            input: ['x', 's'],
            attr: { align_corners: B(align), half_pixel_centers: B(half) },
          },
        ],
      });
    for (const half of [false, true])
      await check({
        input: [1, 5, 7, 2],
        consts: { s: { shape: [2], data: [11, 9], int: true } },
        nodes: [
          {
            name: 'y',
            op: 'ResizeNearestNeighbor',
            input: ['x', 's'],
            attr: { align_corners: B(false), half_pixel_centers: B(half) },
          },
        ],
      });
  });

  it('Pad / PadV2 (spatial and channel), Reshape, ConcatV2', async () => {
    await check({
      input: [1, 4, 5, 3],
      consts: { p: { shape: [4, 2], data: [0, 0, 1, 2, 0, 1, 0, 3], int: true } },
      nodes: [{ name: 'y', op: 'Pad', input: ['x', 'p'] }],
    });
    await check({
      input: [1, 4, 5, 3],
      consts: {
        p: { shape: [4, 2], data: [0, 0, 2, 0, 1, 1, 0, 0], int: true },
        v: { shape: [], data: [0.5] },
      },
      nodes: [{ name: 'y', op: 'PadV2', input: ['x', 'p', 'v'] }],
    });
    await check({
      input: [1, 4, 5, 3],
      consts: { s: { shape: [3], data: [1, -1, 4], int: true }, f: filter(1, 1, 3, 2) },
      nodes: [conv('a', 'Conv2D', {}, ['x', 'f']), { name: 'y', op: 'Reshape', input: ['a', 's'] }],
    });
    for (const axis of [3, -1, 1])
      await check({
        input: [1, 4, 5, 3],
        consts: { ax: { shape: [], data: [axis], int: true }, f: filter(1, 1, 3, 2) },
        nodes: [
          conv('a', 'Conv2D', {}, ['x', 'f']),
          ...(axis === 1
            ? [{ name: 'y', op: 'ConcatV2', input: ['x', 'x', 'ax'] }]
            : [{ name: 'y', op: 'ConcatV2', input: ['x', 'a', 'ax'] }]),
        ],
      });
  });

  it('an op it does not map fails naming the model, the node and the op', () => {
    const graph = graphOf({
      input: [1, 4, 4, 3],
      consts: {},
      nodes: [{ name: 'weird', op: 'Cumsum', input: ['x'] }],
    });
    let err: unknown;
    try {
      tfjsToOnnx(graph, { inputShapes: { x: [4, 4, 3] } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TfjsModelError);
    expect((err as TfjsModelError).op).toBe('Cumsum');
    expect((err as Error).message).toMatch(/TF.js model "test": node "weird" \(op Cumsum\)/);
    expect(SUPPORTED_TF_OPS).not.toContain('Cumsum');
  });

  it('reads weights: float32, int32, float16 and uint8 quantisation; short files fail clearly', () => {
    expect(halfToFloat(0x3c00)).toBe(1);
    expect(halfToFloat(0xc000)).toBe(-2);
    expect(halfToFloat(0x3555)).toBeCloseTo(0.33325, 5);
    expect(halfToFloat(0x0001)).toBeCloseTo(5.96e-8, 9);
    const bin = new Uint8Array(4 + 4 + 4 + 2);
    const v = new DataView(bin.buffer);
    v.setFloat32(0, 1.5, true);
    v.setInt32(4, -7, true);
    v.setUint16(8, 0x3c00, true);
    v.setUint16(10, 0xc000, true);
    bin[12] = 0;
    bin[13] = 10;
    const json = JSON.stringify({
      format: 'graph-model',
      modelTopology: { node: [] },
      weightsManifest: [
        {
          paths: ['m.bin'],
          weights: [
            { name: 'a', shape: [1], dtype: 'float32' },
            { name: 'b', shape: [1], dtype: 'int32' },
            { name: 'c', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
            {
              name: 'd',
              shape: [2],
              dtype: 'float32',
              quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
            },
          ],
        },
      ],
    });
    const g = parseTfjsModel('m', json, [bin]);
    expect(Array.from(g.weights.get('a')!.data)).toEqual([1.5]);
    expect(Array.from(g.weights.get('b')!.data)).toEqual([-7]);
    expect(Array.from(g.weights.get('c')!.data)).toEqual([1, -2]);
    expect(Array.from(g.weights.get('d')!.data)).toEqual([-1, 4]);
    expect(() => parseTfjsModel('m', json, [bin.subarray(0, 10)])).toThrow(
      /TF.js model "m": weight "c" needs bytes 8–12, the weights file has 10/,
    );
    expect(() => parseTfjsModel('m', '{', [])).toThrow(/TF.js model "m": model.json is not JSON/);
  });
});

export type { RefTensor };
