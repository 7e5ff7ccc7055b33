import { i420Planes, i420Size, type VideoFrame } from '../../nodes';
import { Swscale, type PixelLayout } from './av/scale';

/**
 * Pixel layouts other tools use ↔ Patchbay's I420 (BT.601 full range, the same matrix as
 * nodes/core/pixels.ts): UYVY 4:2:2 (NDI's native layout), BGRA/RGBA/BGRX/RGBX (NDI with alpha,
 * Spout's textures), NV12. Rows honour a stride; odd sizes are cropped to even, since I420 needs
 * even sizes.
 */

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Byte order of a 4-byte packed pixel. */
export type PackedOrder = 'bgra' | 'rgba';

function evenDims(width: number, height: number, where: string): [number, number] {
  const w = width & ~1;
  const h = height & ~1;
  if (w < 2 || h < 2) throw new RangeError(`${where}: frame size ${width}×${height} is too small`);
  return [w, h];
}

function checkLength(data: Uint8Array, need: number, where: string): void {
  if (data.length < need) throw new RangeError(`${where}: ${data.length} bytes given, ${need} needed`);
}

/** I420 → UYVY (4:2:2: each chroma row serves two luma rows). `out` is width·2·height bytes. */
export function i420ToUyvy(frame: VideoFrame, out?: Uint8Array): Uint8Array {
  const { width: w, height: h, data } = frame;
  checkLength(data, i420Size(w, h), 'i420ToUyvy');
  const dst = out ?? new Uint8Array(w * h * 2);
  const p = i420Planes(w, h);
  const cw = w >> 1;
  for (let y = 0; y < h; y++) {
    const yRow = y * w;
    const cRow = (y >> 1) * cw;
    let o = y * w * 2;
    for (let x = 0; x < cw; x++) {
      dst[o++] = data[p.u + cRow + x]!;
      dst[o++] = data[yRow + 2 * x]!;
      dst[o++] = data[p.v + cRow + x]!;
      dst[o++] = data[yRow + 2 * x + 1]!;
    }
  }
  return dst;
}

/** UYVY rows (`stride` bytes apart) → an I420 frame; chroma of two rows is averaged. */
export function uyvyToI420(src: Uint8Array, width: number, height: number, stride = width * 2): Uint8Array {
  const [w, h] = evenDims(width, height, 'uyvyToI420');
  checkLength(src, stride * (height - 1) + width * 2, 'uyvyToI420');
  const out = new Uint8Array(i420Size(w, h));
  const p = i420Planes(w, h);
  const cw = w >> 1;
  for (let y = 0; y < h; y++) {
    const s = y * stride;
    for (let x = 0; x < w; x++) out[y * w + x] = src[s + 2 * x + 1]!;
  }
  for (let cy = 0; cy < h >> 1; cy++) {
    const a = 2 * cy * stride;
    const b = a + stride;
    for (let x = 0; x < cw; x++) {
      out[p.u + cy * cw + x] = (src[a + 4 * x]! + src[b + 4 * x]! + 1) >> 1;
      out[p.v + cy * cw + x] = (src[a + 4 * x + 2]! + src[b + 4 * x + 2]! + 1) >> 1;
    }
  }
  return out;
}

/** BGRA/RGBA (or X) rows → I420; alpha is ignored (composited over nothing). */
export function packedToI420(
  src: Uint8Array,
  width: number,
  height: number,
  order: PackedOrder,
  stride = width * 4,
): Uint8Array {
  const [w, h] = evenDims(width, height, 'packedToI420');
  checkLength(src, stride * (height - 1) + width * 4, 'packedToI420');
  const ri = order === 'rgba' ? 0 : 2;
  const bi = order === 'rgba' ? 2 : 0;
  const out = new Uint8Array(i420Size(w, h));
  const p = i420Planes(w, h);
  const cw = w >> 1;
  for (let y = 0; y < h; y++) {
    const s = y * stride;
    for (let x = 0; x < w; x++) {
      const o = s + 4 * x;
      out[y * w + x] = clamp(Math.round(0.299 * src[o + ri]! + 0.587 * src[o + 1]! + 0.114 * src[o + bi]!));
    }
  }
  for (let cy = 0; cy < h >> 1; cy++) {
    for (let cx = 0; cx < cw; cx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const o = (cy * 2 + dy) * stride + (cx * 2 + dx) * 4;
          r += src[o + ri]!;
          g += src[o + 1]!;
          b += src[o + bi]!;
        }
      }
      r /= 4;
      g /= 4;
      b /= 4;
      out[p.u + cy * cw + cx] = clamp(Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128));
      out[p.v + cy * cw + cx] = clamp(Math.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128));
    }
  }
  return out;
}

/** I420 → BGRA/RGBA with alpha 255 (what Spout's SendImage and NDI's BGRA take). */
export function i420ToPacked(frame: VideoFrame, order: PackedOrder, out?: Uint8Array): Uint8Array {
  const { width: w, height: h, data } = frame;
  checkLength(data, i420Size(w, h), 'i420ToPacked');
  const dst = out ?? new Uint8Array(w * h * 4);
  const p = i420Planes(w, h);
  const cw = w >> 1;
  const ri = order === 'rgba' ? 0 : 2;
  const bi = order === 'rgba' ? 2 : 0;
  for (let y = 0; y < h; y++) {
    const crow = (y >> 1) * cw;
    for (let x = 0; x < w; x++) {
      const Y = data[y * w + x]!;
      const U = data[p.u + crow + (x >> 1)]! - 128;
      const V = data[p.v + crow + (x >> 1)]! - 128;
      const o = (y * w + x) * 4;
      dst[o + ri] = clamp(Y + 1.402 * V);
      dst[o + 1] = clamp(Y - 0.344136 * U - 0.714136 * V);
      dst[o + bi] = clamp(Y + 1.772 * U);
      dst[o + 3] = 255;
    }
  }
  return dst;
}

/** Planar I420 with a luma stride (chroma stride = stride/2), as NDI delivers it → tight I420. */
export function stridedI420ToI420(
  src: Uint8Array,
  width: number,
  height: number,
  stride = width,
): Uint8Array {
  const [w, h] = evenDims(width, height, 'stridedI420ToI420');
  checkLength(src, stride * height + 2 * (stride >> 1) * (height >> 1), 'stridedI420ToI420');
  const out = new Uint8Array(i420Size(w, h));
  const p = i420Planes(w, h);
  const cs = stride >> 1;
  const cw = w >> 1;
  for (let y = 0; y < h; y++) out.set(src.subarray(y * stride, y * stride + w), y * w);
  const su = stride * height;
  const sv = su + cs * (height >> 1);
  for (let y = 0; y < h >> 1; y++) {
    out.set(src.subarray(su + y * cs, su + y * cs + cw), p.u + y * cw);
    out.set(src.subarray(sv + y * cs, sv + y * cs + cw), p.v + y * cw);
  }
  return out;
}

/** NV12 (Y plane, then interleaved UV) with a stride → I420. */
export function nv12ToI420(src: Uint8Array, width: number, height: number, stride = width): Uint8Array {
  const [w, h] = evenDims(width, height, 'nv12ToI420');
  checkLength(src, stride * height + stride * (height >> 1), 'nv12ToI420');
  const out = new Uint8Array(i420Size(w, h));
  const p = i420Planes(w, h);
  const cw = w >> 1;
  for (let y = 0; y < h; y++) out.set(src.subarray(y * stride, y * stride + w), y * w);
  const uv = stride * height;
  for (let y = 0; y < h >> 1; y++) {
    for (let x = 0; x < cw; x++) {
      out[p.u + y * cw + x] = src[uv + y * stride + 2 * x]!;
      out[p.v + y * cw + x] = src[uv + y * stride + 2 * x + 1]!;
    }
  }
  return out;
}

// --- swscale, what NDI and Spout use per frame ---------------------------------------------------
// The loops above stay as the reference (tests, `npm run bench io` measures both in one run):
// swscale does BGRA → I420 about 4× and I420 → RGBA about 10× faster at 720p.

const scalers = new Map<string, Swscale>();
/** One Swscale per conversion kind, so NDI receive and send do not thrash one cached context. */
function scaler(kind: string): Swscale {
  let s = scalers.get(kind);
  if (!s) {
    s = new Swscale();
    scalers.set(kind, s);
  }
  return s;
}

/** A received image (UYVY, BGRA/RGBA, NV12) with a line stride → tight I420 of even size, on swscale. */
export function toI420(
  layout: Exclude<PixelLayout, 'i420' | 'rgb24'>,
  src: Uint8Array,
  width: number,
  height: number,
  stride?: number,
): Uint8Array {
  const [w, h] = evenDims(width, height, `${layout} → I420`);
  const bpp = layout === 'uyvy' ? 2 : layout === 'nv12' ? 1 : 4;
  const s = stride ?? width * bpp;
  const need = layout === 'nv12' ? s * height + s * (height >> 1) : s * (height - 1) + width * bpp;
  checkLength(src, need, `${layout} → I420`);
  const strides = layout === 'nv12' ? [s, s] : [s];
  // NV12's chroma plane starts after `height` luma rows, not `h`: pass it as its own view.
  const input = layout === 'nv12' && h !== height ? nv12Even(src, s, height, h) : src;
  return scaler(`${layout}>i420`).convert(layout, input, w, h, 'i420', { srcStrides: strides });
}

function nv12Even(src: Uint8Array, stride: number, height: number, h: number): Uint8Array {
  const out = new Uint8Array(stride * h + stride * (h >> 1));
  out.set(src.subarray(0, stride * h));
  out.set(src.subarray(stride * height, stride * height + stride * (h >> 1)), stride * h);
  return out;
}

/** I420 → UYVY / BGRA / RGBA (alpha 255) on swscale; writes into `out` when given. */
export function fromI420(frame: VideoFrame, layout: 'uyvy' | 'bgra' | 'rgba', out?: Uint8Array): Uint8Array {
  const { width: w, height: h, data } = frame;
  checkLength(data, i420Size(w, h), `I420 → ${layout}`);
  const res = scaler(`i420>${layout}`).convert('i420', data, w, h, layout);
  if (!out) return res;
  checkLength(out, res.length, `I420 → ${layout} (output buffer)`);
  out.set(res);
  return out;
}
