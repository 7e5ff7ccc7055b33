import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { testPatternFrame } from '../../nodes';
import { Vp8Encoder } from '../media';
import { IvfWriter } from './webm/ivf';
import { WebmWriter } from './webm/writer';

/**
 * Test media made with the product's own encoder (nothing is downloaded): the Camera node's
 * test pattern, every frame stamped with its number, as WebM and IVF (VP8).
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

/**
 * Writes `<name>.webm` and `<name>.ivf` into `dir`; frame k shows seq k at k/fps seconds.
 *
 * @example makeTestMedia({ dir: 'tmp/media', seconds: 3 }) // → { webm, ivf, frames: 90, … }
 */
export function makeTestMedia(opts: TestMediaOptions): TestMedia {
  const seconds = opts.seconds ?? 3;
  const width = opts.width ?? 512;
  const height = opts.height ?? 512;
  const fps = opts.fps ?? 30;
  if (!(seconds > 0 && seconds <= 600))
    throw new RangeError(`test media: seconds ${seconds} is outside 0..600`);
  if (!Number.isInteger(fps) || fps < 1 || fps > 120)
    throw new RangeError(`test media: fps ${fps} must be an integer 1..120`);
  const frames = Math.round(seconds * fps);
  const name = opts.name ?? 'test-pattern';
  mkdirSync(opts.dir, { recursive: true });
  const webm = join(opts.dir, `${name}.webm`);
  const ivf = join(opts.dir, `${name}.ivf`);
  const encoder = new Vp8Encoder({ fps, bitrateKbps: 3000, keyframeInterval: fps });
  const w = new WebmWriter(webm, { width, height, fps, writingApp: 'Patchbay make-test-media' });
  const v = new IvfWriter(ivf, { width, height, fps });
  try {
    for (let k = 0; k < frames; k++) {
      const t = (k * 1000) / fps;
      const e = encoder.encode(testPatternFrame(width, height, k, t));
      if (!e) throw new Error(`test media: the encoder skipped frame ${k}`);
      w.addFrame(e.data, t, e.keyframe);
      v.addFrame(e.data, k);
    }
  } finally {
    encoder.close();
    w.close();
    v.close();
  }
  return { webm, ivf, frames, fps, width, height };
}
