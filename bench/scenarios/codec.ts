import { measureCodecFloor } from '../../runtime/media';
import { figure } from '../stats';
import type { Scenario } from '../types';

/** The frame sizes the issue asks for. */
export const CODEC_SIZES: readonly (readonly [number, number])[] = [
  [512, 512],
  [640, 480],
];

/** Figure key of the encode + decode floor at a size (scenario 2 compares against it). */
export const floorKey = (w: number, h: number): string => `vp8_enc_dec_${w}x${h}`;

/**
 * Scenario 1 — the codec floor: VP8 encode and decode alone (node-av, the runtime's own codec,
 * realtime settings), ms per frame at 512×512 and 640×480. Each run is the median over its
 * frames; the figure is the median over runs.
 */
export const codecScenario: Scenario = {
  id: 'codec',
  number: 1,
  title: 'Codec floor (VP8 encode/decode alone)',
  async run(ctx, result) {
    const runs = ctx.options.repeat ?? (ctx.options.quick ? 2 : 5);
    const frames = ctx.options.quick ? 20 : 150;
    for (const [w, h] of CODEC_SIZES) {
      const enc: number[] = [];
      const dec: number[] = [];
      const both: number[] = [];
      const bytes: number[] = [];
      for (let r = 0; r < runs; r++) {
        const f = measureCodecFloor({ width: w, height: h, frames });
        enc.push(f.encode.medianMs);
        dec.push(f.decode.medianMs);
        both.push(f.encode.medianMs + f.decode.medianMs);
        bytes.push(f.meanFrameBytes);
        // Yield so progress lines and timers are not starved between runs.
        await new Promise((r) => setImmediate(r));
      }
      result.figures.push(
        figure(`vp8_encode_${w}x${h}`, `VP8 encode ${w}×${h}`, 'ms/frame', enc),
        figure(`vp8_decode_${w}x${h}`, `VP8 decode ${w}×${h}`, 'ms/frame', dec),
        figure(floorKey(w, h), `VP8 encode + decode ${w}×${h}`, 'ms/frame', both),
      );
      result.details = { ...result.details, [`${w}x${h}_mean_frame_bytes`]: bytes };
      ctx.log(
        `  ${w}×${h}: encode ${enc.map((v) => v.toFixed(2)).join(' ')} / decode ${dec.map((v) => v.toFixed(2)).join(' ')} ms`,
      );
    }
    result.notes.push(
      `node-av (libvpx encode, FFmpeg vp8 decode), cpu-used 8, 2 Mbit/s; ${frames} frames per run after 10 warm-up frames, ${runs} runs; spread is min–max of the per-run medians`,
    );
  },
};
