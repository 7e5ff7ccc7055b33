import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AV_CODEC_ID_HAP } from 'node-av/constants';
import { testPatternFrame } from '../../nodes';
import { ClipWriter, PacketCopyWriter, type ClipCodec, type ClipSummary } from './av/clip-writer';
import { Swscale } from './av/scale';

/**
 * Test media made with the product's own encoders (FFmpeg through node-av; nothing is
 * downloaded): the Camera node's test pattern, every frame stamped with its number.
 */

export interface TestMediaOptions {
  dir: string;
  /** Length in seconds (default 3). */
  seconds?: number;
  width?: number;
  height?: number;
  /** Integer frame rate (default 30). */
  fps?: number;
  /** File name stem (default "test-pattern"). */
  name?: string;
}

export interface TestMedia {
  webm: string;
  ivf: string;
  frames: number;
  fps: number;
  width: number;
  height: number;
}

function checkOptions(seconds: number, fps: number): void {
  if (!(seconds > 0 && seconds <= 600))
    throw new RangeError(`test media: seconds ${seconds} is outside 0..600`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 120)
    throw new RangeError(`test media: fps ${fps} must be an integer 1..120`);
}

/**
 * Writes `<name>.webm` and `<name>.ivf` (VP8, a keyframe every second) into `dir`; frame k
 * shows seq k at k/fps seconds.
 *
 * @example makeTestMedia({ dir: 'tmp/media', seconds: 3 }) // → { webm, ivf, frames: 90, … }
 */
export function makeTestMedia(opts: TestMediaOptions): TestMedia {
  const seconds = opts.seconds ?? 3;
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const fps = opts.fps ?? 30;
  checkOptions(seconds, fps);
  const name = opts.name ?? 'test-pattern';
  mkdirSync(opts.dir, { recursive: true });
  const common = { seconds, width, height, fps, keyframeInterval: fps };
  const webm = makeClip(join(opts.dir, `${name}.webm`), { ...common, container: 'webm', codec: 'vp8' });
  const ivf = makeClip(join(opts.dir, `${name}.ivf`), { ...common, container: 'ivf', codec: 'vp8' });
  return { webm: webm.path, ivf: ivf.path, frames: webm.frames, fps, width, height };
}

/** A clip to make: container and codec (or `hap`, written without an FFmpeg encoder). */
export interface ClipOptions {
  container: string;
  codec: ClipCodec | 'hap';
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  keyframeInterval?: number;
  bitrateKbps?: number;
}

/**
 * Writes a test-pattern clip in any codec the writer has, to test and measure decoding:
 * `makeClip('a.mp4', { container: 'mp4', codec: 'h264' })`. HAP has no encoder in node-av's
 * FFmpeg, so `codec: 'hap'` writes HAP1 (DXT1, no second-stage compression) frames made here
 * (see {@link dxt1}) into a MOV with the `Hap1` tag, which FFmpeg's own hap decoder reads.
 */
export function makeClip(path: string, opts: ClipOptions): ClipSummary {
  const seconds = opts.seconds ?? 3;
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const fps = opts.fps ?? 30;
  checkOptions(seconds, fps);
  const frames = Math.round(seconds * fps);
  if (opts.codec === 'hap') return makeHap(path, opts.container, width, height, fps, frames);
  const w = new ClipWriter(path, {
    container: opts.container,
    codec: opts.codec,
    width,
    height,
    fps,
    ...(opts.keyframeInterval ? { keyframeInterval: opts.keyframeInterval } : {}),
    bitrateKbps: opts.bitrateKbps ?? 3000,
    hwaccel: 'none',
  });
  try {
    for (let k = 0; k < frames; k++) w.write(testPatternFrame(width, height, k, (k * 1000) / fps));
  } catch (error) {
    w.abandon();
    throw error;
  }
  return w.close();
}

function makeHap(
  path: string,
  container: string,
  width: number,
  height: number,
  fps: number,
  frames: number,
): ClipSummary {
  if (width % 4 || height % 4)
    throw new RangeError(`HAP test clips need a size divisible by 4, not ${width}×${height}`);
  const sws = new Swscale();
  const w = new PacketCopyWriter(path, {
    container,
    codecId: AV_CODEC_ID_HAP,
    codecTag: 'Hap1',
    width,
    height,
    fps,
  });
  try {
    for (let k = 0; k < frames; k++) {
      const t = (k * 1000) / fps;
      const rgba = sws.convert('i420', testPatternFrame(width, height, k, t).data, width, height, 'rgba');
      w.addFrame(hapFrame(dxt1(rgba, width, height)), t, true);
    }
  } finally {
    sws.close();
  }
  return w.close();
}

/** A HAP section: 3-byte little-endian length (or 0 + 4-byte length) and the type 0xAB (DXT1, uncompressed). */
function hapFrame(texture: Uint8Array): Uint8Array {
  const small = texture.length <= 0xffffff;
  const head = small ? 4 : 8;
  const out = new Uint8Array(head + texture.length);
  if (small) {
    out[0] = texture.length & 0xff;
    out[1] = (texture.length >> 8) & 0xff;
    out[2] = (texture.length >> 16) & 0xff;
  } else {
    new DataView(out.buffer).setUint32(4, texture.length, true);
  }
  out[3] = 0xab;
  out.set(texture, head);
  return out;
}

/**
 * RGBA → DXT1 (BC1) blocks, simply: each 4×4 block's brightest and darkest pixel are the two
 * end colours and every pixel takes the nearer one. Enough to carry the test pattern's stamp.
 */
export function dxt1(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array((width / 4) * (height / 4) * 8);
  const dv = new DataView(out.buffer);
  let o = 0;
  const lum = (i: number): number => rgba[i]! * 3 + rgba[i + 1]! * 6 + rgba[i + 2]!;
  const c565 = (i: number): number =>
    ((rgba[i]! >> 3) << 11) | ((rgba[i + 1]! >> 2) << 5) | (rgba[i + 2]! >> 3);
  for (let by = 0; by < height; by += 4) {
    for (let bx = 0; bx < width; bx += 4) {
      let hi = -1;
      let lo = -1;
      let hiL = -1;
      let loL = 1e9;
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const i = ((by + y) * width + bx + x) * 4;
          const l = lum(i);
          if (l > hiL) {
            hiL = l;
            hi = i;
          }
          if (l < loL) {
            loL = l;
            lo = i;
          }
        }
      let c0 = c565(hi);
      let c1 = c565(lo);
      // c0 > c1 selects four-colour mode (index 0 = c0, 1 = c1); equal colours need no indices.
      if (c0 < c1) [c0, c1] = [c1, c0];
      let bits = 0;
      if (c0 !== c1) {
        const mid = (hiL + loL) / 2;
        const hiIsC0 = c565(hi) === c0;
        for (let p = 15; p >= 0; p--) {
          const i = ((by + (p >> 2)) * width + bx + (p & 3)) * 4;
          const bright = lum(i) >= mid;
          bits = (bits << 2) | (bright === hiIsC0 ? 0 : 1);
        }
      }
      dv.setUint16(o, c0, true);
      dv.setUint16(o + 2, c1, true);
      dv.setUint32(o + 4, bits >>> 0, true);
      o += 8;
    }
  }
  return out;
}
