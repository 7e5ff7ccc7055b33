import { GraphBuilder } from '../graph';
import {
  attrInts,
  attrString,
  attrStrings,
  TfjsModelError,
  type TfjsGraph,
  type TfNode,
  type TfTensor,
} from './model';

/**
 * TF.js graph → ONNX, on the project's own graph builder. TensorFlow computes in NHWC; the ONNX
 * ops here are NCHW, so every 4-D activation is carried channels-first and each op is mapped
 * with that in mind: filters are permuted when they are written ([kh,kw,in,out] → [out,in,kh,kw];
 * depthwise [kh,kw,in,mult] → [in·mult,1,kh,kw] with group = in), per-channel constants of
 * Add/Mul become [C,1,1], pads and concat axes are permuted, and a tensor is transposed back to
 * NHWC only where an op needs TensorFlow's memory order (Reshape). TF's SAME padding is ONNX's
 * SAME_UPPER (the odd pixel goes at the end), so input sizes may stay dynamic.
 *
 * Only the nodes the requested outputs depend on are converted. An op outside the table below
 * fails with a TfjsModelError naming the model, the node and the op.
 */

/** The TF ops this converter maps (the ones MediaPipe selfie segmentation, PoseNet and BlazeFace use, and a few neighbours). */
export const SUPPORTED_TF_OPS = [
  'Placeholder',
  'Const',
  'Identity',
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'Conv2DBackpropInput',
  'AvgPool',
  'MaxPool',
  'BiasAdd',
  'Add',
  'AddV2',
  'AddN',
  'Sub',
  'Mul',
  'RealDiv',
  'Maximum',
  'Minimum',
  'Relu',
  'Relu6',
  'Sigmoid',
  'Tanh',
  'Elu',
  'LeakyRelu',
  'Prelu',
  'ResizeBilinear',
  'ResizeNearestNeighbor',
  'Pad',
  'PadV2',
  'Reshape',
  'ConcatV2',
] as const;

/** A converted value: an ONNX tensor name, or a TF constant not yet written. */
interface Val {
  name: string;
  /** A 4-D activation carried NCHW (TensorFlow's NHWC transposed). */
  nchw: boolean;
  constant?: TfTensor;
}

/** Where a TF tensor ended up: the ONNX tensor name and whether it is NCHW (4-D activations) or in TF's own layout. */
export interface ConvertedTensor {
  name: string;
  nchw: boolean;
}

/** NHWC axis → NCHW axis. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1] as const;

export class TfjsConverter {
  private readonly values = new Map<string, Val>();
  private readonly byName: Map<string, TfNode>;

  /**
   * `inputs`: for each Placeholder the graph reads, the ONNX tensor holding it, float NCHW
   * [1,C,H,W] (the caller does the layout and any colour conversion).
   */
  constructor(
    private readonly g: GraphBuilder,
    private readonly graph: TfjsGraph,
    inputs: Record<string, string>,
  ) {
    this.byName = new Map(graph.nodes.map((n) => [n.name, n]));
    for (const [k, v] of Object.entries(inputs)) this.values.set(k, { name: v, nchw: true });
  }

  /** Converts what `output` (a TF node name) depends on; returns where it ended up. */
  tensor(output: string): ConvertedTensor {
    const v = this.value(output);
    return { name: this.materialise(v), nchw: v.nchw };
  }

  /** `output` as an NCHW tensor (4-D), or as TF lays it out (other ranks). */
  private value(ref: string): Val {
    const name = ref.replace(/^\^/, '').replace(/:0$/, '');
    const done = this.values.get(name);
    if (done) return done;
    if (name.includes(':'))
      throw new TfjsModelError(
        this.graph.name,
        `input "${ref}": only the first output of a node is supported`,
      );
    const node = this.byName.get(name);
    if (!node) throw new TfjsModelError(this.graph.name, `no node named "${name}"`);
    let v: Val;
    try {
      v = this.convert(node);
    } catch (err) {
      if (err instanceof TfjsModelError) throw err;
      throw new TfjsModelError(
        this.graph.name,
        `node "${node.name}" (op ${node.op}): ${(err as Error).message}`,
        node.op,
      );
    }
    this.values.set(name, v);
    return v;
  }

  private fail(node: TfNode, message: string): never {
    throw new TfjsModelError(this.graph.name, `node "${node.name}" (op ${node.op}): ${message}`, node.op);
  }

  private inputs(node: TfNode): string[] {
    return (node.input ?? []).filter((i) => !i.startsWith('^'));
  }

  private constInput(node: TfNode, index: number): TfTensor {
    const v = this.value(this.inputs(node)[index] ?? '');
    if (!v.constant) this.fail(node, `input ${index} must be a constant`);
    return v.constant;
  }

  /** Writes a constant as an initializer (float, or int32 as int64) in its TF shape. */
  private materialise(v: Val): string {
    if (!v.constant || v.name) return v.name;
    const c = v.constant;
    v.name =
      c.dtype === 'int32'
        ? this.g.ints(Array.from(c.data))
        : this.floats(c.data, c.shape.length ? c.shape : [1]);
    return v.name;
  }

  private floats(data: ArrayLike<number>, dims: number[]): string {
    return this.g.floats(data instanceof Float32Array ? data : Float32Array.from(data), dims);
  }

  /** A 4-D activation as NCHW; a non-constant value in TF layout is transposed. */
  private asNchw(node: TfNode, v: Val): string {
    if (v.nchw) return v.name;
    if (v.constant) this.fail(node, 'expected an activation, got a constant');
    return this.g.op('Transpose', [v.name], { perm: [0, 3, 1, 2] });
  }

  /** A value in TensorFlow's own layout (NCHW activations transposed back to NHWC). */
  private asTf(v: Val): string {
    if (v.nchw) return this.g.op('Transpose', [v.name], { perm: [0, 2, 3, 1] });
    return this.materialise(v);
  }

  private strides(node: TfNode, key = 'strides'): [number, number] {
    const s = attrInts(node.attr?.[key]) ?? [1, 1, 1, 1];
    if (s.length !== 4 || s[0] !== 1 || s[3] !== 1)
      this.fail(node, `${key} ${JSON.stringify(s)} not supported`);
    return [s[1]!, s[2]!];
  }

  private checkFormat(node: TfNode): void {
    const f = attrString(node.attr?.data_format) ?? 'NHWC';
    if (f !== 'NHWC') this.fail(node, `data_format ${f} is not supported (only NHWC)`);
  }

  /**
   * ONNX padding attributes for TF's `padding` (SAME, VALID or EXPLICIT). SAME with stride 1
   * pads (k−1)·d whatever the input size, so it is written out (onnxruntime refuses SAME_UPPER
   * with dilations); with a stride it depends on the size and stays SAME_UPPER.
   */
  private padding(
    node: TfNode,
    kernel: [number, number],
    strides: [number, number] = [1, 1],
    dilations: [number, number] = [1, 1],
  ): Record<string, string | number[]> {
    const p = attrString(node.attr?.padding) ?? 'VALID';
    if (p === 'SAME' && strides[0] === 1 && strides[1] === 1) {
      const th = (kernel[0] - 1) * dilations[0];
      const tw = (kernel[1] - 1) * dilations[1];
      return { pads: [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)] };
    }
    if (p === 'SAME' && (dilations[0] !== 1 || dilations[1] !== 1))
      this.fail(node, 'SAME padding with both a stride and a dilation is not supported');
    if (p === 'SAME') return { auto_pad: 'SAME_UPPER' };
    if (p === 'VALID') return { auto_pad: 'VALID' };
    if (p === 'EXPLICIT') {
      const e = attrInts(node.attr?.explicit_paddings) ?? [];
      if (e.length !== 8) this.fail(node, `explicit_paddings ${JSON.stringify(e)}`);
      return { pads: [e[2]!, e[4]!, e[3]!, e[5]!] };
    }
    return this.fail(node, `padding ${p} is not supported`);
  }

  private activation(node: TfNode, x: string, op: string): string {
    switch (op) {
      case 'Relu':
        return this.g.op('Relu', [x]);
      case 'Relu6':
        return this.g.op('Clip', [x, this.g.scalar0(0), this.g.scalar0(6)]);
      case 'Sigmoid':
        return this.g.op('Sigmoid', [x]);
      case 'Tanh':
        return this.g.op('Tanh', [x]);
      case 'Elu':
        return this.g.op('Elu', [x], { alpha: { float: 1 } });
      case 'LeakyRelu': {
        const alpha = node.attr?.leakyrelu_alpha?.f ?? node.attr?.alpha?.f ?? 0.2;
        return this.g.op('LeakyRelu', [x], { alpha: { float: alpha } });
      }
      case 'Prelu': {
        const a = this.constInput(node, 3);
        return this.g.op('PRelu', [x, this.perChannel(node, a)]);
      }
      default:
        return this.fail(node, `fused activation ${op} is not supported`);
    }
  }

  /** A constant broadcast against an NCHW activation: its NHWC shape right-aligned to 4-D and permuted. */
  private perChannel(node: TfNode, c: TfTensor): string {
    if (c.dtype !== 'float32') this.fail(node, 'int32 arithmetic is not supported');
    const size = c.data.length;
    if (size === 1) return this.floats(c.data, [1]);
    if (c.shape.length > 4) this.fail(node, `constant of rank ${c.shape.length}`);
    const s = [...new Array<number>(4 - c.shape.length).fill(1), ...c.shape];
    const [n, h, w, ch] = s as [number, number, number, number];
    const out = new Float32Array(size);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          for (let k = 0; k < ch; k++)
            out[((b * ch + k) * h + y) * w + x] = c.data[((b * h + y) * w + x) * ch + k]!;
    return this.floats(out, [n, ch, h, w]);
  }

  /** Fused conv: `bias` and activations from `fused_ops`. */
  private fused(node: TfNode, conv: (bias?: string) => string): string {
    const ops = attrStrings(node.attr?.fused_ops);
    if (!ops.length) return conv();
    if (ops[0] !== 'BiasAdd') this.fail(node, `fused_ops ${ops.join(',')} not supported`);
    const bias = this.constInput(node, 2);
    const b = this.floats(bias.data, [bias.data.length]);
    let out = conv(b);
    for (const act of ops.slice(1)) out = this.activation(node, out, act);
    return out;
  }

  private binary(node: TfNode, onnxOp: string): Val {
    const [ra, rb] = this.inputs(node);
    const a = this.value(ra ?? '');
    const b = this.value(rb ?? '');
    const side = (v: Val, other: Val): string => {
      if (other.nchw && v.constant) return this.perChannel(node, v.constant);
      if (other.nchw && !v.nchw) return this.asNchw(node, v);
      return this.materialise(v);
    };
    return { name: this.g.op(onnxOp, [side(a, b), side(b, a)]), nchw: a.nchw || b.nchw };
  }

  private convert(node: TfNode): Val {
    const ins = this.inputs(node);
    const g = this.g;
    const act = (x: Val, f: (n: string) => string): Val => ({ name: f(x.name), nchw: x.nchw });
    switch (node.op) {
      case 'Const': {
        const c = this.graph.weights.get(node.name);
        if (!c) this.fail(node, 'constant has no value in the weights');
        return { name: '', nchw: false, constant: c };
      }
      case 'Placeholder':
        return this.fail(node, 'graph input not bound (pass it in `inputs`)');
      case 'Identity':
        return this.value(ins[0] ?? '');
      case 'Conv2D':
      case '_FusedConv2D': {
        this.checkFormat(node);
        const x = this.asNchw(node, this.value(ins[0] ?? ''));
        const f = this.constInput(node, 1);
        const [kh, kw, ci, co] = f.shape as [number, number, number, number];
        const w = new Float32Array(f.data.length);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let i = 0; i < ci; i++)
              for (let o = 0; o < co; o++)
                w[((o * ci + i) * kh + y) * kw + xx] = f.data[((y * kw + xx) * ci + i) * co + o]!;
        const wName = this.floats(w, [co, ci, kh, kw]);
        const strides = this.strides(node);
        const dilations = this.strides(node, 'dilations');
        const attrs = {
          strides,
          dilations,
          kernel_shape: [kh, kw],
          ...this.padding(node, [kh, kw], strides, dilations),
        };
        return {
          name: this.fused(node, (b) => g.op('Conv', b ? [x, wName, b] : [x, wName], attrs)),
          nchw: true,
        };
      }
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative': {
        this.checkFormat(node);
        const x = this.asNchw(node, this.value(ins[0] ?? ''));
        const f = this.constInput(node, 1);
        const [kh, kw, ci, m] = f.shape as [number, number, number, number];
        const w = new Float32Array(f.data.length);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let c = 0; c < ci; c++)
              for (let j = 0; j < m; j++)
                w[((c * m + j) * kh + y) * kw + xx] = f.data[((y * kw + xx) * ci + c) * m + j]!;
        const wName = this.floats(w, [ci * m, 1, kh, kw]);
        const strides = this.strides(node);
        const dilations = this.strides(node, 'dilations');
        const attrs = {
          strides,
          dilations,
          kernel_shape: [kh, kw],
          group: ci,
          ...this.padding(node, [kh, kw], strides, dilations),
        };
        return {
          name: this.fused(node, (b) => g.op('Conv', b ? [x, wName, b] : [x, wName], attrs)),
          nchw: true,
        };
      }
      case 'Conv2DBackpropInput': {
        this.checkFormat(node);
        const sizes = this.constInput(node, 0);
        const f = this.constInput(node, 1);
        const x = this.asNchw(node, this.value(ins[2] ?? ''));
        const [kh, kw, co, ci] = f.shape as [number, number, number, number];
        const w = new Float32Array(f.data.length);
        for (let y = 0; y < kh; y++)
          for (let xx = 0; xx < kw; xx++)
            for (let o = 0; o < co; o++)
              for (let i = 0; i < ci; i++)
                w[((i * co + o) * kh + y) * kw + xx] = f.data[((y * kw + xx) * co + o) * ci + i]!;
        const [sh, sw] = this.strides(node);
        const pad = attrString(node.attr?.padding);
        if (pad !== 'SAME')
          this.fail(node, `padding ${pad} is not supported for a transposed convolution (only SAME)`);
        if (sizes.data.length !== 4) this.fail(node, 'input_sizes must have 4 values');
        // TF's SAME transposed conv has output = input · stride: crop what the forward SAME conv
        // would have padded (floor half at the start), add output_padding when the kernel is
        // smaller than the stride.
        const th = Math.max(kh - sh, 0);
        const tw = Math.max(kw - sw, 0);
        return {
          name: g.op('ConvTranspose', [x, this.floats(w, [ci, co, kh, kw])], {
            strides: [sh, sw],
            kernel_shape: [kh, kw],
            pads: [th >> 1, tw >> 1, th - (th >> 1), tw - (tw >> 1)],
            output_padding: [Math.max(sh - kh, 0), Math.max(sw - kw, 0)],
          }),
          nchw: true,
        };
      }
      case 'AvgPool':
      case 'MaxPool': {
        this.checkFormat(node);
        const x = this.asNchw(node, this.value(ins[0] ?? ''));
        const k = this.strides(node, 'ksize');
        const strides = this.strides(node);
        return {
          name: g.op(node.op === 'AvgPool' ? 'AveragePool' : 'MaxPool', [x], {
            kernel_shape: k,
            strides,
            ...this.padding(node, k, strides),
          }),
          nchw: true,
        };
      }
      case 'BiasAdd':
      case 'Add':
      case 'AddV2':
        return this.binary(node, 'Add');
      case 'Sub':
        return this.binary(node, 'Sub');
      case 'Mul':
        return this.binary(node, 'Mul');
      case 'RealDiv':
        return this.binary(node, 'Div');
      case 'Maximum':
        return this.binary(node, 'Max');
      case 'Minimum':
        return this.binary(node, 'Min');
      case 'AddN': {
        if (ins.length < 1) this.fail(node, 'no inputs');
        const vals = ins.map((i) => this.value(i));
        const nchw = vals.some((v) => v.nchw);
        const names = vals.map((v) => (nchw ? this.asNchw(node, v) : this.materialise(v)));
        return { name: names.length === 1 ? names[0]! : g.op('Sum', names), nchw };
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'LeakyRelu':
        return act(this.value(ins[0] ?? ''), (n) => this.activation(node, n, node.op));
      case 'Prelu': {
        const x = this.value(ins[0] ?? '');
        const a = this.constInput(node, 1);
        return { name: g.op('PRelu', [this.asNchw(node, x), this.perChannel(node, a)]), nchw: true };
      }
      case 'ResizeBilinear':
      case 'ResizeNearestNeighbor': {
        const x = this.asNchw(node, this.value(ins[0] ?? ''));
        const size = this.constInput(node, 1);
        const align = node.attr?.align_corners?.b === true;
        const half = node.attr?.half_pixel_centers?.b === true;
        const bilinear = node.op === 'ResizeBilinear';
        if (!bilinear && align) this.fail(node, 'align_corners is not supported for nearest');
        const nc = g.op('Slice', [g.op('Shape', [x]), g.ints([0]), g.ints([2])]);
        const sizes = g.op('Concat', [nc, g.ints(Array.from(size.data))], { axis: 0 });
        return {
          name: g.op('Resize', [x, '', '', sizes], {
            mode: bilinear ? 'linear' : 'nearest',
            coordinate_transformation_mode: align
              ? 'align_corners'
              : half
                ? bilinear
                  ? 'half_pixel'
                  : 'tf_half_pixel_for_nn'
                : 'asymmetric',
            ...(bilinear ? {} : { nearest_mode: 'floor' }),
          }),
          nchw: true,
        };
      }
      case 'Pad':
      case 'PadV2': {
        const x = this.value(ins[0] ?? '');
        const p = this.constInput(node, 1);
        const rank = p.data.length / 2;
        const value = node.op === 'PadV2' ? this.constInput(node, 2).data[0]! : 0;
        const begins: number[] = [];
        const ends: number[] = [];
        for (let a = 0; a < rank; a++) {
          const src = x.nchw ? [0, 3, 1, 2][a]! : a;
          begins.push(p.data[src * 2]!);
          ends.push(p.data[src * 2 + 1]!);
        }
        return {
          name: g.op('Pad', [this.asNchwOrTf(x), g.ints([...begins, ...ends]), g.scalar0(value)], {
            mode: 'constant',
          }),
          nchw: x.nchw,
        };
      }
      case 'Reshape': {
        const x = this.value(ins[0] ?? '');
        const shape = this.constInput(node, 1);
        return { name: g.op('Reshape', [this.asTf(x), g.ints(Array.from(shape.data))]), nchw: false };
      }
      case 'ConcatV2': {
        const axisT = this.constInput(node, ins.length - 1);
        const vals = ins.slice(0, -1).map((i) => this.value(i));
        const nchw = vals.every((v) => v.nchw);
        let axis = axisT.data[0]!;
        if (nchw) axis = NHWC_TO_NCHW_AXIS[(axis + 4) % 4]!;
        const names = vals.map((v) => (nchw ? v.name : this.asTf(v)));
        return { name: g.op('Concat', names, { axis }), nchw };
      }
      default:
        return this.fail(node, `op ${node.op} is not supported by the TF.js → ONNX converter`);
    }
  }

  private asNchwOrTf(v: Val): string {
    return v.nchw ? v.name : this.materialise(v);
  }
}

/** Options for a standalone model: what its inputs and outputs are called. */
export interface StandaloneOptions {
  /** Placeholder → [H, W, C] of its NHWC input; a string dim stays symbolic. Default: from the graph. */
  inputShapes?: Record<string, (number | string)[]>;
  /** TF node names to return (default: the signature's outputs). */
  outputs?: string[];
}

/**
 * The whole graph as a standalone ONNX model in TensorFlow's layout: each Placeholder is an NHWC
 * float input of the same name, each output the TF tensor in TF's layout (4-D outputs
 * transposed back to NHWC), named as the TF node with `/` and `:` replaced by `_`. Used by the
 * tests against the reference interpreter; the pipelines build their own graph around
 * `TfjsConverter` instead.
 */
export function tfjsToOnnx(graph: TfjsGraph, opts: StandaloneOptions = {}): Uint8Array {
  const g = new GraphBuilder(graph.name);
  const inputs: Record<string, string> = {};
  for (const n of graph.nodes) {
    if (n.op !== 'Placeholder') continue;
    const dims =
      opts.inputShapes?.[n.name] ??
      (n.attr?.shape?.shape?.dim ?? []).slice(1).map((d, i) => {
        const v = Number(d.size);
        return v > 0 ? v : `${['h', 'w', 'c'][i]}`;
      });
    if (dims.length !== 3)
      throw new TfjsModelError(graph.name, `input "${n.name}" is not a 4-D NHWC image`, 'Placeholder');
    const x = g.input(n.name, [1, ...dims]);
    inputs[n.name] = g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  }
  const conv = new TfjsConverter(g, graph, inputs);
  const outputs = opts.outputs ?? graph.outputs;
  if (!outputs.length) throw new TfjsModelError(graph.name, 'no outputs named and no signature');
  for (const o of outputs) {
    const t = conv.tensor(o);
    const name = o.replace(/[/:]/g, '_');
    const out = t.nchw ? g.op('Transpose', [t.name], { perm: [0, 2, 3, 1] }) : g.op('Identity', [t.name]);
    g.output(name, out, null);
  }
  return g.toBytes(17, `Converted from the TF.js graph model "${graph.name}" by Patchbay`);
}
