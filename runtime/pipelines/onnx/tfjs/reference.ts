import { attrInts, attrString, attrStrings, type TfjsGraph, type TfNode, type TfTensor } from './model';

/**
 * A plain-TypeScript interpreter for TF.js graphs, written from TensorFlow's definitions of the
 * ops (NHWC, loops, float64), with no ONNX in it: the tests run a graph through it and through
 * the converter + onnxruntime and compare. Slow (a 256² selfie frame takes seconds) and only for
 * tests and for computing the checked-in expected outputs.
 */

export interface RefTensor {
  shape: number[];
  data: Float64Array;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function fromTf(t: TfTensor): RefTensor {
  return { shape: [...t.shape], data: Float64Array.from(t.data) };
}

/** TF's SAME/VALID output size and leading pad along one axis. */
function window(
  inSize: number,
  k: number,
  stride: number,
  dilation: number,
  padding: string,
): { out: number; before: number } {
  const eff = (k - 1) * dilation + 1;
  if (padding === 'VALID') return { out: Math.ceil((inSize - eff + 1) / stride), before: 0 };
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + eff - inSize, 0);
  return { out, before: Math.floor(total / 2) };
}

function hw(attr: number[] | undefined): [number, number] {
  return attr ? [attr[1]!, attr[2]!] : [1, 1];
}

function conv2d(
  x: RefTensor,
  f: RefTensor,
  strides: [number, number],
  dil: [number, number],
  padding: string,
  depthwise: boolean,
): RefTensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw, fi, fo] = f.shape as [number, number, number, number];
  const co = depthwise ? fi * fo : fo;
  const wy = window(h, kh, strides[0], dil[0], padding);
  const wx = window(w, kw, strides[1], dil[1], padding);
  const out = new Float64Array(n * wy.out * wx.out * co);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < wy.out; oy++)
      for (let ox = 0; ox < wx.out; ox++)
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * strides[0] - wy.before + ky * dil[0];
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * strides[1] - wx.before + kx * dil[1];
            if (ix < 0 || ix >= w) continue;
            const xi = ((b * h + iy) * w + ix) * c;
            const oi = ((b * wy.out + oy) * wx.out + ox) * co;
            const fb = (ky * kw + kx) * fi * fo;
            if (depthwise) {
              for (let ch = 0; ch < c; ch++)
                for (let m = 0; m < fo; m++)
                  out[oi + ch * fo + m] += x.data[xi + ch]! * f.data[fb + ch * fo + m]!;
            } else {
              for (let ch = 0; ch < c; ch++) {
                const v = x.data[xi + ch]!;
                for (let o = 0; o < fo; o++) out[oi + o] += v * f.data[fb + ch * fo + o]!;
              }
            }
          }
        }
  return { shape: [n, wy.out, wx.out, co], data: out };
}

/** TF conv2d_transpose (Conv2DBackpropInput): the gradient of a SAME/VALID conv with output size `sizes`. */
function conv2dTranspose(
  x: RefTensor,
  f: RefTensor,
  sizes: number[],
  strides: [number, number],
  padding: string,
): RefTensor {
  const [n, h, w, ci] = x.shape as [number, number, number, number];
  const [kh, kw, co] = f.shape as [number, number, number, number];
  const [, oh, ow] = sizes as [number, number, number, number];
  const py = window(oh, kh, strides[0], 1, padding).before;
  const px = window(ow, kw, strides[1], 1, padding).before;
  const out = new Float64Array(n * oh * ow * co);
  // Forward conv: in[y·s − pad + ky] contributes to out[y]; the transpose scatters back.
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let xx = 0; xx < w; xx++)
        for (let ky = 0; ky < kh; ky++) {
          const oy = y * strides[0] - py + ky;
          if (oy < 0 || oy >= oh) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ox = xx * strides[1] - px + kx;
            if (ox < 0 || ox >= ow) continue;
            for (let o = 0; o < co; o++) {
              let s = 0;
              for (let i = 0; i < ci; i++)
                s += x.data[((b * h + y) * w + xx) * ci + i]! * f.data[((ky * kw + kx) * co + o) * ci + i]!;
              out[((b * oh + oy) * ow + ox) * co + o] += s;
            }
          }
        }
  return { shape: [n, oh, ow, co], data: out };
}

function pool(
  x: RefTensor,
  k: [number, number],
  s: [number, number],
  padding: string,
  max: boolean,
): RefTensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const wy = window(h, k[0], s[0], 1, padding);
  const wx = window(w, k[1], s[1], 1, padding);
  const out = new Float64Array(n * wy.out * wx.out * c);
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < wy.out; oy++)
      for (let ox = 0; ox < wx.out; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = max ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < k[0]; ky++) {
            const iy = oy * s[0] - wy.before + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k[1]; kx++) {
              const ix = ox * s[1] - wx.before + kx;
              if (ix < 0 || ix >= w) continue;
              const v = x.data[((b * h + iy) * w + ix) * c + ch]!;
              acc = max ? Math.max(acc, v) : acc + v;
              count++;
            }
          }
          out[((b * wy.out + oy) * wx.out + ox) * c + ch] = max ? acc : acc / count;
        }
  return { shape: [n, wy.out, wx.out, c], data: out };
}

/** TF's ResizeBilinear / ResizeNearestNeighbor (align_corners, half_pixel_centers, legacy). */
function resize(
  x: RefTensor,
  oh: number,
  ow: number,
  align: boolean,
  half: boolean,
  bilinear: boolean,
): RefTensor {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const scale = (inS: number, outS: number) => (align && outS > 1 ? (inS - 1) / (outS - 1) : inS / outS);
  const sy = scale(h, oh);
  const sx = scale(w, ow);
  const out = new Float64Array(n * oh * ow * c);
  const at = (b: number, y: number, xx: number, ch: number) => x.data[((b * h + y) * w + xx) * c + ch]!;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++)
        for (let ch = 0; ch < c; ch++) {
          let v: number;
          if (bilinear) {
            const fy = half ? (y + 0.5) * sy - 0.5 : y * sy;
            const fx = half ? (xx + 0.5) * sx - 0.5 : xx * sx;
            const y0 = Math.max(Math.floor(fy), 0);
            const x0 = Math.max(Math.floor(fx), 0);
            const y1 = Math.min(Math.ceil(fy), h - 1);
            const x1 = Math.min(Math.ceil(fx), w - 1);
            const ly = fy - Math.floor(fy);
            const lx = fx - Math.floor(fx);
            const top = at(b, y0, x0, ch) + (at(b, y0, x1, ch) - at(b, y0, x0, ch)) * lx;
            const bot = at(b, y1, x0, ch) + (at(b, y1, x1, ch) - at(b, y1, x0, ch)) * lx;
            v = top + (bot - top) * ly;
          } else {
            const fy = half ? (y + 0.5) * sy : y * sy;
            const fx = half ? (xx + 0.5) * sx : xx * sx;
            v = at(b, Math.min(Math.floor(fy), h - 1), Math.min(Math.floor(fx), w - 1), ch);
          }
          out[((b * oh + y) * ow + xx) * c + ch] = v;
        }
  return { shape: [n, oh, ow, c], data: out };
}

/** numpy-style broadcasting of a binary op. */
function broadcast(a: RefTensor, b: RefTensor, f: (x: number, y: number) => number): RefTensor {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const sa = pad(a.shape);
  const sb = pad(b.shape);
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const out = new Float64Array(size(shape));
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia = ia * sa[d]! + (sa[d] === 1 ? 0 : idx[d]!);
      ib = ib * sb[d]! + (sb[d] === 1 ? 0 : idx[d]!);
    }
    out[i] = f(a.data[ia]!, b.data[ib]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

const map = (x: RefTensor, f: (v: number) => number): RefTensor => ({ shape: x.shape, data: x.data.map(f) });

const ACT: Record<string, (v: number) => number> = {
  Relu: (v) => Math.max(v, 0),
  Relu6: (v) => Math.min(Math.max(v, 0), 6),
  Sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  Tanh: Math.tanh,
  Elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
};

/**
 * Runs `graph` on `inputs` (Placeholder name → NHWC tensor) and returns the named outputs
 * (TF node names), NHWC as TensorFlow would.
 */
export function runTfjsReference(
  graph: TfjsGraph,
  inputs: Record<string, RefTensor>,
  outputs: readonly string[],
): Record<string, RefTensor> {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const memo = new Map<string, RefTensor>(Object.entries(inputs));
  const get = (ref: string): RefTensor => {
    const name = ref.replace(/:0$/, '');
    const m = memo.get(name);
    if (m) return m;
    const node = nodes.get(name);
    if (!node) throw new Error(`reference: no node ${name}`);
    const v = evalNode(node, get, graph);
    memo.set(name, v);
    return v;
  };
  return Object.fromEntries(outputs.map((o) => [o, get(o)]));
}

function evalNode(node: TfNode, get: (r: string) => RefTensor, graph: TfjsGraph): RefTensor {
  const ins = (node.input ?? []).filter((i) => !i.startsWith('^')).map((i) => () => get(i));
  const pad = attrString(node.attr?.padding) ?? 'VALID';
  const s = hw(attrInts(node.attr?.strides));
  const d = hw(attrInts(node.attr?.dilations));
  const fusedTail = (y: RefTensor): RefTensor => {
    const ops = attrStrings(node.attr?.fused_ops);
    if (!ops.length) return y;
    let out = broadcast(y, ins[2]!(), (a, b) => a + b);
    for (const op of ops.slice(1)) {
      if (op === 'LeakyRelu') {
        const alpha = node.attr?.leakyrelu_alpha?.f ?? 0.2;
        out = map(out, (v) => (v < 0 ? v * alpha : v));
      } else if (op === 'Prelu') out = broadcast(out, ins[3]!(), (v, a) => (v < 0 ? v * a : v));
      else out = map(out, ACT[op]!);
    }
    return out;
  };
  const bin = (f: (a: number, b: number) => number) => broadcast(ins[0]!(), ins[1]!(), f);
  switch (node.op) {
    case 'Const':
      return fromTf(graph.weights.get(node.name)!);
    case 'Identity':
      return ins[0]!();
    case 'Conv2D':
    case '_FusedConv2D':
      return fusedTail(conv2d(ins[0]!(), ins[1]!(), s, d, pad, false));
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
      return fusedTail(conv2d(ins[0]!(), ins[1]!(), s, d, pad, true));
    case 'Conv2DBackpropInput':
      return conv2dTranspose(ins[2]!(), ins[1]!(), Array.from(ins[0]!().data), s, pad);
    case 'AvgPool':
    case 'MaxPool':
      return pool(ins[0]!(), hw(attrInts(node.attr?.ksize)), s, pad, node.op === 'MaxPool');
    case 'BiasAdd':
    case 'Add':
    case 'AddV2':
      return bin((a, b) => a + b);
    case 'Sub':
      return bin((a, b) => a - b);
    case 'Mul':
      return bin((a, b) => a * b);
    case 'RealDiv':
      return bin((a, b) => a / b);
    case 'Maximum':
      return bin(Math.max);
    case 'Minimum':
      return bin(Math.min);
    case 'AddN':
      return ins.map((f) => f()).reduce((a, b) => broadcast(a, b, (x, y) => x + y));
    case 'Relu':
    case 'Relu6':
    case 'Sigmoid':
    case 'Tanh':
    case 'Elu':
      return map(ins[0]!(), ACT[node.op]!);
    case 'LeakyRelu': {
      const alpha = node.attr?.alpha?.f ?? 0.2;
      return map(ins[0]!(), (v) => (v < 0 ? v * alpha : v));
    }
    case 'Prelu':
      return broadcast(ins[0]!(), ins[1]!(), (v, a) => (v < 0 ? v * a : v));
    case 'ResizeBilinear':
    case 'ResizeNearestNeighbor': {
      const [oh, ow] = Array.from(ins[1]!().data) as [number, number];
      return resize(
        ins[0]!(),
        oh,
        ow,
        node.attr?.align_corners?.b === true,
        node.attr?.half_pixel_centers?.b === true,
        node.op === 'ResizeBilinear',
      );
    }
    case 'Pad':
    case 'PadV2': {
      const x = ins[0]!();
      const p = Array.from(ins[1]!().data);
      const value = node.op === 'PadV2' ? ins[2]!().data[0]! : 0;
      const shape = x.shape.map((v, i) => v + p[2 * i]! + p[2 * i + 1]!);
      const out = new Float64Array(size(shape)).fill(value);
      const rank = x.shape.length;
      const idx = new Array<number>(rank).fill(0);
      for (let i = 0; i < x.data.length; i++) {
        let o = 0;
        for (let a = 0; a < rank; a++) o = o * shape[a]! + idx[a]! + p[2 * a]!;
        out[o] = x.data[i]!;
        for (let a = rank - 1; a >= 0; a--) {
          if (++idx[a]! < x.shape[a]!) break;
          idx[a] = 0;
        }
      }
      return { shape, data: out };
    }
    case 'Reshape': {
      const x = ins[0]!();
      const want = Array.from(ins[1]!().data);
      const known = want.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
      return { shape: want.map((v) => (v === -1 ? x.data.length / known : v)), data: x.data };
    }
    case 'ConcatV2': {
      const parts = ins.slice(0, -1).map((f) => f());
      const rank = parts[0]!.shape.length;
      const axis = (ins[ins.length - 1]!().data[0]! + rank) % rank;
      const shape = [...parts[0]!.shape];
      shape[axis] = parts.reduce((a, t) => a + t.shape[axis]!, 0);
      const outer = size(shape.slice(0, axis));
      const inner = size(shape.slice(axis + 1));
      const out = new Float64Array(size(shape));
      let o = 0;
      for (let i = 0; i < outer; i++)
        for (const t of parts) {
          const n = t.shape[axis]! * inner;
          out.set(t.data.subarray(i * n, (i + 1) * n), o);
          o += n;
        }
      return { shape, data: out };
    }
    default:
      throw new Error(`reference: the interpreter has no reference for op ${node.op}`);
  }
}
