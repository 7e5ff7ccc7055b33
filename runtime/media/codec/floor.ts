/**
 * The codec floor: what VP8 encode and decode alone cost per frame on this machine, for the
 * benchmark to subtract from end-to-end numbers and to compare against FIELD-NOTES.md.
 */
import { Vp8Decoder, Vp8Encoder } from './vp8';
import { patternFrame } from '../testing/pattern';

/** Median and 90th percentile, in milliseconds per frame. */
export interface CodecTiming {
  medianMs: number;
  p90Ms: number;
}

/** Encode and decode timings for one frame size. */
export interface CodecFloor {
  codec: 'node-av libvpx (encode) / FFmpeg vp8 (decode)';
  width: number;
  height: number;
  frames: number;
  encode: CodecTiming;
  decode: CodecTiming;
  /** Mean encoded frame size in bytes. */
  meanFrameBytes: number;
}

/** Percentile of a sample (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Times VP8 encode and decode separately over `frames` frames of a moving test pattern at 30 fps
 * timestamps, with the realtime settings the peer uses, after a short warm-up.
 *
 * @example
 * const floor = measureCodecFloor({ width: 512, height: 512, frames: 150 });
 * console.log(floor.encode.medianMs, floor.decode.p90Ms);
 */
export function measureCodecFloor(opts: {
  width: number;
  height: number;
  frames?: number;
  bitrateKbps?: number;
}): CodecFloor {
  const { width, height } = opts;
  const frames = opts.frames ?? 150;
  if (!Number.isInteger(frames) || frames < 1)
    throw new RangeError(`measureCodecFloor: frames ${frames} must be ≥ 1`);
  const warmup = 10;
  const inputs = Array.from({ length: Math.min(frames + warmup, 60) }, (_, i) =>
    patternFrame(width, height, i),
  );
  const enc = new Vp8Encoder({ bitrateKbps: opts.bitrateKbps ?? 2000 });
  const dec = new Vp8Decoder();
  const encMs: number[] = [];
  const decMs: number[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < frames + warmup; i++) {
      const src = inputs[i % inputs.length]!;
      const frame = { ...src, timestampMs: i * (1000 / 30), seq: i };
      const t0 = performance.now();
      const out = enc.encode(frame);
      const t1 = performance.now();
      if (!out) continue;
      const r = dec.decode(out.data, frame.timestampMs, i);
      const t2 = performance.now();
      if (!r.ok) throw new Error(`measureCodecFloor: decode failed: ${r.error}`);
      if (i < warmup) continue;
      encMs.push(t1 - t0);
      decMs.push(t2 - t1);
      bytes += out.data.length;
    }
  } finally {
    enc.close();
    dec.close();
  }
  encMs.sort((a, b) => a - b);
  decMs.sort((a, b) => a - b);
  return {
    codec: 'node-av libvpx (encode) / FFmpeg vp8 (decode)',
    width,
    height,
    frames: encMs.length,
    encode: { medianMs: percentile(encMs, 50), p90Ms: percentile(encMs, 90) },
    decode: { medianMs: percentile(decMs, 50), p90Ms: percentile(decMs, 90) },
    meanFrameBytes: encMs.length ? bytes / encMs.length : 0,
  };
}
