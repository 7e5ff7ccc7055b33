import { i420Planes, i420Size, type VideoFrame } from '../../../nodes';
import type { FloatImageSpec } from './contract';

/**
 * I420 ↔ float image tensors in one pass each way, with the model's declared layout (NCHW or
 * NHWC), value range and channel order. When the tensor size differs from the frame (fixed-size
 * models) pixels are resampled nearest-neighbour in the same pass. BT.601 full range, matching
 * nodes/core/pixels.ts; chroma on the way back is the mean of each 2×2 block's RGB.
 */

type Spec = Pick<FloatImageSpec, 'layout' | 'range' | 'channels'>;

interface Indexing {
  stride: number;
  r: number;
  g: number;
  b: number;
}

function indexing(spec: Spec, pixels: number): Indexing {
  const planar = spec.layout === 'NCHW';
  const stride = planar ? 1 : 3;
  const ch = (c: number) => (planar ? c * pixels : c);
  const bgr = spec.channels === 'bgr';
  return { stride, r: ch(bgr ? 2 : 0), g: ch(1), b: ch(bgr ? 0 : 2) };
}

function nearestMap(from: number, to: number): Int32Array {
  const map = new Int32Array(to);
  for (let i = 0; i < to; i++) map[i] = Math.min(from - 1, Math.floor(((i + 0.5) * from) / to));
  return map;
}

/**
 * Converts a frame into a float tensor of `tw`×`th` pixels (the frame's own size by default),
 * writing into `out` when it is large enough. Returns the tensor data (3·tw·th floats).
 */
export function i420ToTensor(
  frame: VideoFrame,
  spec: Spec,
  tw = frame.width,
  th = frame.height,
  out?: Float32Array,
): Float32Array {
  const { width: fw, height: fh, data } = frame;
  if (data.length < i420Size(fw, fh))
    throw new RangeError(`frame data has ${data.length} bytes; ${fw}×${fh} I420 needs ${i420Size(fw, fh)}`);
  const n = tw * th;
  const t = out && out.length >= 3 * n ? out : new Float32Array(3 * n);
  const p = i420Planes(fw, fh);
  const cw = fw >> 1;
  const [lo, hi] = spec.range;
  const scale = (hi - lo) / 255;
  const ix = indexing(spec, n);
  const same = tw === fw && th === fh;
  const { stride, r: ro, g: go, b: bo } = ix;
  if (same && stride === 1 && (fw & 1) === 0) {
    // The common case (frame-sized planar tensor): two pixels per chroma sample, so U and V are
    // read and weighted once per pair; no index maps, no property reads in the loop.
    for (let y = 0; y < th; y++) {
      const row = y * fw;
      const crow = (y >> 1) * cw;
      for (let cx = 0; cx < cw; cx++) {
        const U = data[p.u + crow + cx]! - 128;
        const V = data[p.v + crow + cx]! - 128;
        const dr = 1.402 * V;
        const dg = -0.344136 * U - 0.714136 * V;
        const db = 1.772 * U;
        for (let k = 0; k < 2; k++) {
          const o = row + 2 * cx + k;
          const Y = data[o]!;
          let r = Y + dr;
          let g = Y + dg;
          let b = Y + db;
          r = r < 0 ? 0 : r > 255 ? 255 : r;
          g = g < 0 ? 0 : g > 255 ? 255 : g;
          b = b < 0 ? 0 : b > 255 ? 255 : b;
          t[o + ro] = r * scale + lo;
          t[o + go] = g * scale + lo;
          t[o + bo] = b * scale + lo;
        }
      }
    }
    return t;
  }
  const xs = same ? null : nearestMap(fw, tw);
  const ys = same ? null : nearestMap(fh, th);
  for (let y = 0; y < th; y++) {
    const sy = ys ? ys[y]! : y;
    const row = sy * fw;
    const crow = p.u + (sy >> 1) * cw;
    const vrow = p.v + (sy >> 1) * cw;
    for (let x = 0; x < tw; x++) {
      const sx = xs ? xs[x]! : x;
      const Y = data[row + sx]!;
      const U = data[crow + (sx >> 1)]! - 128;
      const V = data[vrow + (sx >> 1)]! - 128;
      let r = Y + 1.402 * V;
      let g = Y - 0.344136 * U - 0.714136 * V;
      let b = Y + 1.772 * U;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      g = g < 0 ? 0 : g > 255 ? 255 : g;
      b = b < 0 ? 0 : b > 255 ? 255 : b;
      const o = (y * tw + x) * stride;
      t[o + ro] = r * scale + lo;
      t[o + go] = g * scale + lo;
      t[o + bo] = b * scale + lo;
    }
  }
  return t;
}

/**
 * Converts a float tensor of `tw`×`th` pixels back to an I420 frame of `fw`×`fh` (even sizes),
 * clamping to the declared range. Writes into `out` when it is large enough.
 */
export function tensorToI420(
  tensor: Float32Array,
  spec: Spec,
  tw: number,
  th: number,
  fw = tw,
  fh = th,
  out?: Uint8Array,
): Uint8Array {
  if (tensor.length < 3 * tw * th)
    throw new RangeError(`model output has ${tensor.length} values; ${tw}×${th}×3 needs ${3 * tw * th}`);
  if (fw % 2 || fh % 2) throw new RangeError(`I420 frames need even sizes, got ${fw}×${fh}`);
  const size = i420Size(fw, fh);
  const data = out && out.length >= size ? out : new Uint8Array(size);
  const p = i420Planes(fw, fh);
  const cw = fw >> 1;
  const [lo, hi] = spec.range;
  const scale = 255 / (hi - lo);
  const { stride, r: ro, g: go, b: bo } = indexing(spec, tw * th);
  const same = tw === fw && th === fh;
  const xs = same ? null : nearestMap(tw, fw);
  const ys = same ? null : nearestMap(th, fh);
  for (let cy = 0; cy < fh >> 1; cy++) {
    const y0 = cy * 2;
    const t0 = (ys ? ys[y0]! : y0) * tw;
    const t1 = (ys ? ys[y0 + 1]! : y0 + 1) * tw;
    for (let cx = 0; cx < cw; cx++) {
      const x0 = cx * 2;
      const a = xs ? xs[x0]! : x0;
      const b1 = xs ? xs[x0 + 1]! : x0 + 1;
      // The 2×2 block's tensor offsets, in the order Y is written (row 0 then row 1).
      const o0 = (t0 + a) * stride;
      const o1 = (t0 + b1) * stride;
      const o2 = (t1 + a) * stride;
      const o3 = (t1 + b1) * stride;
      let rs = 0;
      let gs = 0;
      let bs = 0;
      for (let d = 0; d < 4; d++) {
        const o = d === 0 ? o0 : d === 1 ? o1 : d === 2 ? o2 : o3;
        let r = (tensor[o + ro]! - lo) * scale;
        let g = (tensor[o + go]! - lo) * scale;
        let b = (tensor[o + bo]! - lo) * scale;
        // NaN fails every comparison: map it to 0 rather than letting it through as garbage
        r = r > 0 ? (r < 255 ? r : 255) : 0;
        g = g > 0 ? (g < 255 ? g : 255) : 0;
        b = b > 0 ? (b < 255 ? b : 255) : 0;
        data[(y0 + (d >> 1)) * fw + x0 + (d & 1)] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
        rs += r;
        gs += g;
        bs += b;
      }
      rs *= 0.25;
      gs *= 0.25;
      bs *= 0.25;
      const u = Math.round(-0.168736 * rs - 0.331264 * gs + 0.5 * bs + 128);
      const v = Math.round(0.5 * rs - 0.418688 * gs - 0.081312 * bs + 128);
      data[p.u + cy * cw + cx] = u < 0 ? 0 : u > 255 ? 255 : u;
      data[p.v + cy * cw + cx] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return data;
}
