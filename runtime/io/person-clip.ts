import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rgbaToI420, type VideoFrame } from '../../nodes';
import { ClipWriter } from './av/clip-writer';
import { decodeImage, type RgbaImage } from './av/image';

/**
 * A test clip with a person in it, made here from a public-domain photo (the astronaut Eileen
 * Collins, NASA, from Debian's python3-skimage data; checked in at 256² beside the learned-model
 * fixtures): a slow zoom and pan over the photo, VP8 WebM, so the learned pipelines have a
 * moving person to work on. Run `npx tsx runtime/io/person-clip.ts [DIR] [SECONDS]` to write
 * `astronaut.webm` into DIR (default ~/.patchbay/assets), where the Camera node's video_file
 * mode finds it.
 */

export const PERSON_PHOTO = join(
  import.meta.dirname,
  '..',
  'pipelines',
  'learned',
  'fixtures',
  'astronaut-256.png',
);
export const PERSON_CLIP = 'astronaut.webm';

export interface PersonClipOptions {
  dir: string;
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
}

/** Frame k of the clip: a bilinear crop of the photo, zooming from the whole photo to 80 % and back, drifting sideways. */
export function personFrame(photo: RgbaImage, width: number, height: number, t: number, k = 0): VideoFrame {
  const phase = 0.5 - 0.5 * Math.cos(2 * Math.PI * t * 0.25);
  const zoom = 1 - 0.2 * phase;
  const cw = photo.width * zoom;
  const ch = photo.height * zoom;
  const x0 = (photo.width - cw) * (0.5 + 0.4 * Math.sin(2 * Math.PI * t * 0.125));
  const y0 = (photo.height - ch) * 0.3;
  const rgba = new Uint8Array(width * height * 4);
  const src = photo.data;
  const pw = photo.width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max(y0 + ((y + 0.5) * ch) / height - 0.5, 0), photo.height - 1);
    const iy = Math.min(Math.floor(fy), photo.height - 2);
    const ly = fy - iy;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(x0 + ((x + 0.5) * cw) / width - 0.5, 0), pw - 1);
      const ix = Math.min(Math.floor(fx), pw - 2);
      const lx = fx - ix;
      const a = (iy * pw + ix) * 4;
      const b = a + pw * 4;
      for (let c = 0; c < 3; c++) {
        const top = src[a + c]! + (src[a + 4 + c]! - src[a + c]!) * lx;
        const bot = src[b + c]! + (src[b + 4 + c]! - src[b + c]!) * lx;
        rgba[(y * width + x) * 4 + c] = Math.round(top + (bot - top) * ly);
      }
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { width, height, data: rgbaToI420(rgba, width, height), timestampMs: t * 1000, seq: k };
}

/** Writes `astronaut.webm` into `dir`; returns its path. */
export function makePersonClip(opts: PersonClipOptions): string {
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const fps = opts.fps ?? 30;
  const photo = decodeImage(readFileSync(PERSON_PHOTO), PERSON_PHOTO);
  mkdirSync(opts.dir, { recursive: true });
  const path = join(opts.dir, PERSON_CLIP);
  // VP8 WebM through FFmpeg (libvpx), a keyframe every second.
  const w = new ClipWriter(path, {
    format: 'webm',
    width,
    height,
    fps,
    bitrateKbps: 3000,
    keyframeInterval: fps,
    hwaccel: 'none',
  });
  try {
    const frames = Math.round(seconds * fps);
    for (let k = 0; k < frames; k++) w.write(personFrame(photo, width, height, k / fps, k));
  } catch (error) {
    w.abandon();
    throw error;
  }
  w.close();
  return path;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const { homedir } = await import('node:os');
  const dir = process.argv[2] ?? join(homedir(), '.patchbay', 'assets');
  const seconds = process.argv[3] ? Number(process.argv[3]) : undefined;
  console.log(makePersonClip({ dir, ...(seconds ? { seconds } : {}) }));
}
