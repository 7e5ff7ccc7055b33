/**
 * Pixel conversion and scaling on FFmpeg's swscale (node-av `SoftwareScaleContext`), in place of
 * per-pixel JavaScript loops: 720p BGRA → I420 is about 9× faster (FIELD-NOTES.md; `npm run bench
 * io` measures both in one run). A context is cached per (source format, size → target size), so
 * a stream of same-sized frames sets it up once.
 */
import { Frame, SoftwareScaleContext } from 'node-av/lib';
import {
  AV_PIX_FMT_BGRA,
  AV_PIX_FMT_NV12,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_RGBA,
  AV_PIX_FMT_UYVY422,
  AV_PIX_FMT_YUVJ420P,
  SWS_BILINEAR,
  type AVPixelFormat,
} from 'node-av/constants';
import { i420Size, type VideoFrame } from '../../../nodes';
import { ffmpegMessage } from './ffmpeg';

/** The packed and planar layouts the runtime converts between. */
export type PixelLayout = 'i420' | 'rgba' | 'bgra' | 'rgb24' | 'nv12' | 'uyvy';

/**
 * Patchbay's I420 is BT.601 **full range** (nodes/core/pixels.ts, the test pattern), which is
 * swscale's yuvj420p: so decoded video (usually limited range) is expanded on the way in, and RGB
 * conversions match the JS ones.
 */
const FORMATS: Record<PixelLayout, AVPixelFormat> = {
  i420: AV_PIX_FMT_YUVJ420P,
  rgba: AV_PIX_FMT_RGBA,
  bgra: AV_PIX_FMT_BGRA,
  rgb24: AV_PIX_FMT_RGB24,
  nv12: AV_PIX_FMT_NV12,
  uyvy: AV_PIX_FMT_UYVY422,
};

/** Bytes per line of each plane for a tightly packed image. */
function tightStrides(layout: PixelLayout, width: number): number[] {
  switch (layout) {
    case 'i420':
      return [width, width >> 1, width >> 1];
    case 'nv12':
      return [width, width];
    case 'uyvy':
      return [width * 2];
    case 'rgb24':
      return [width * 3];
    default:
      return [width * 4];
  }
}

/** Byte size of a tightly packed image. */
export function layoutSize(layout: PixelLayout, width: number, height: number): number {
  switch (layout) {
    case 'i420':
    case 'nv12':
      return i420Size(width, height);
    case 'uyvy':
      return width * height * 2;
    case 'rgb24':
      return width * height * 3;
    default:
      return width * height * 4;
  }
}

/** Plane views of `data` for a layout, each starting where the previous one ends. */
function planes(
  layout: PixelLayout,
  data: Uint8Array,
  width: number,
  height: number,
  strides: readonly number[],
): Buffer[] {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const heights =
    layout === 'i420'
      ? [height, height >> 1, height >> 1]
      : layout === 'nv12'
        ? [height, height >> 1]
        : [height];
  const out: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < heights.length; i++) {
    const len = strides[i]! * heights[i]!;
    out.push(buf.subarray(at, at + len));
    at += len;
  }
  if (at > buf.length)
    throw new RangeError(`${layout} ${width}×${height} needs ${at} bytes, the buffer has ${buf.length}`);
  return out;
}

/** Row alignment and tail slack for swscale's destination: its SIMD code writes whole vectors. */
const DST_ALIGN = 64;

function planeHeights(layout: PixelLayout, height: number): number[] {
  if (layout === 'i420') return [height, height >> 1, height >> 1];
  if (layout === 'nv12') return [height, height >> 1];
  return [height];
}

/**
 * A destination for swscale with every row aligned to 64 bytes and 64 bytes of slack after the
 * last: swscale's vector code writes past the end of a row (a 4×4 RGB24 PNG wrote past an
 * exact-size buffer and corrupted the heap). `tight()` gives the image tightly packed.
 */
function paddedTarget(
  layout: PixelLayout,
  width: number,
  height: number,
): { planes: Buffer[]; strides: number[]; tight: () => Uint8Array } {
  const tightRows = tightStrides(layout, width);
  const strides = tightRows.map((s) => Math.ceil(s / DST_ALIGN) * DST_ALIGN);
  const heights = planeHeights(layout, height);
  const size = strides.reduce((n, s, i) => n + s * heights[i]!, 0) + DST_ALIGN;
  const scratch = Buffer.alloc(size);
  const dstPlanes: Buffer[] = [];
  let at = 0;
  for (let i = 0; i < strides.length; i++) {
    // Each plane's view runs to the end of the scratch buffer, so the slack is inside it.
    dstPlanes.push(scratch.subarray(at));
    at += strides[i]! * heights[i]!;
  }
  return {
    planes: dstPlanes,
    strides,
    tight: () => {
      // Rows already aligned (widths that are multiples of 64 bytes): the scratch is the image.
      if (strides.every((st, i) => st === tightRows[i]))
        return new Uint8Array(scratch.buffer, scratch.byteOffset, layoutSize(layout, width, height));
      const out = new Uint8Array(layoutSize(layout, width, height));
      let src = 0;
      let dstAt = 0;
      for (let i = 0; i < strides.length; i++) {
        for (let r = 0; r < heights[i]!; r++)
          out.set(
            scratch.subarray(src + r * strides[i]!, src + r * strides[i]! + tightRows[i]!),
            dstAt + r * tightRows[i]!,
          );
        src += strides[i]! * heights[i]!;
        dstAt += tightRows[i]! * heights[i]!;
      }
      return out;
    },
  };
}

interface CachedContext {
  key: string;
  sws: SoftwareScaleContext;
}

/**
 * Converts and scales images with swscale. Keep one per stream (it caches its context);
 * `close()` frees it.
 *
 * @example
 * const sws = new Swscale();
 * const i420 = sws.convert('bgra', bgraBytes, 1280, 720, 'i420'); // Uint8Array, tightly packed
 */
export class Swscale {
  private cached: CachedContext | null = null;
  private frameCtx: CachedContext | null = null;
  private dst: Frame | null = null;
  private dstKey = '';

  private context(
    slot: 'cached' | 'frameCtx',
    key: string,
    make: () => SoftwareScaleContext,
  ): SoftwareScaleContext {
    const c = this[slot];
    if (c && c.key === key) return c.sws;
    c?.sws.freeContext();
    const sws = make();
    this[slot] = { key, sws };
    return sws;
  }

  /**
   * Converts a tightly packed (or, with `srcStrides`, strided) image from one layout to another,
   * scaling to `dstWidth`×`dstHeight` (default: the same size). Returns a new tightly packed buffer.
   */
  convert(
    from: PixelLayout,
    src: Uint8Array,
    width: number,
    height: number,
    to: PixelLayout,
    opts: { dstWidth?: number; dstHeight?: number; srcStrides?: readonly number[] } = {},
  ): Uint8Array {
    const dw = opts.dstWidth ?? width;
    const dh = opts.dstHeight ?? height;
    const key = `${from}:${width}x${height}>${to}:${dw}x${dh}`;
    const sws = this.context('cached', key, () => {
      const s = new SoftwareScaleContext();
      s.getContext(width, height, FORMATS[from], dw, dh, FORMATS[to], SWS_BILINEAR);
      return s;
    });
    const srcStrides = opts.srcStrides ? [...opts.srcStrides] : tightStrides(from, width);
    const dst = paddedTarget(to, dw, dh);
    const ret = sws.scaleSync(
      planes(from, src, width, height, srcStrides),
      srcStrides,
      0,
      height,
      dst.planes,
      dst.strides,
    );
    if (ret < 0) throw new Error(`swscale ${key} failed: ${ffmpegMessage(ret)}`);
    return dst.tight();
  }

  /**
   * A decoded FFmpeg frame (any software pixel format: yuv422p10 ProRes, rgba HAP, nv12 …) →
   * an I420 VideoFrame of even size (an odd size loses its last column/row), scaled to
   * `width`×`height` when given.
   */
  frameToI420(src: Frame, timestampMs: number, seq: number, width?: number, height?: number): VideoFrame {
    const w = (width ?? src.width) & ~1;
    const h = (height ?? src.height) & ~1;
    if (w < 2 || h < 2) throw new RangeError(`a ${src.width}×${src.height} frame is too small for I420`);
    const fmt = src.format as AVPixelFormat;
    const key = `${fmt}:${src.width}x${src.height}>i420:${w}x${h}`;
    const sws = this.context('frameCtx', key, () => {
      const s = new SoftwareScaleContext();
      s.getContext(src.width, src.height, fmt, w, h, AV_PIX_FMT_YUVJ420P, SWS_BILINEAR);
      return s;
    });
    const dkey = `${w}x${h}`;
    if (!this.dst || this.dstKey !== dkey) {
      this.dst?.free();
      const f = new Frame();
      f.alloc();
      f.format = AV_PIX_FMT_YUVJ420P;
      f.width = w;
      f.height = h;
      const r = f.getBuffer(0);
      if (r < 0) throw new Error(`allocating a ${w}×${h} I420 frame: ${ffmpegMessage(r)}`);
      this.dst = f;
      this.dstKey = dkey;
    }
    const ret = sws.scaleFrameSync(this.dst, src);
    if (ret < 0) throw new Error(`swscale ${key} failed: ${ffmpegMessage(ret)}`);
    const buf = this.dst.toBuffer();
    return {
      width: w,
      height: h,
      data: new Uint8Array(buf.buffer, buf.byteOffset, i420Size(w, h)),
      timestampMs,
      seq,
    };
  }

  /** A decoded FFmpeg frame (any software pixel format) → a tightly packed image of `layout`, same size. */
  frameToLayout(src: Frame, layout: PixelLayout): Uint8Array {
    const fmt = src.format as AVPixelFormat;
    const { width, height } = src;
    const key = `${fmt}:${width}x${height}>${layout}`;
    const sws = this.context('cached', key, () => {
      const s = new SoftwareScaleContext();
      s.getContext(width, height, fmt, width, height, FORMATS[layout], SWS_BILINEAR);
      return s;
    });
    const dst = paddedTarget(layout, width, height);
    const ret = sws.scaleSync(src.data ?? [], src.linesize, 0, height, dst.planes, dst.strides);
    if (ret < 0) throw new Error(`swscale ${key} failed: ${ffmpegMessage(ret)}`);
    return dst.tight();
  }

  /** Frees the cached contexts. The object can still be used (it sets them up again). */
  close(): void {
    this.cached?.sws.freeContext();
    this.cached = null;
    this.frameCtx?.sws.freeContext();
    this.frameCtx = null;
    this.dst?.free();
    this.dst = null;
    this.dstKey = '';
  }
}
