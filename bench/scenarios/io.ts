import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { i420ToRgba, testPatternFrame } from '../../nodes';
import {
  ClipReader,
  ClipWriter,
  i420ToPacked,
  i420ToUyvy,
  makeClip,
  packedToI420,
  RECORD_FORMATS,
  Swscale,
  uyvyToI420,
} from '../../runtime/io';
import { figure, median } from '../stats';
import type { Scenario } from '../types';

/** The sizes the media issue asks for. */
const SIZES: readonly (readonly [number, number, string])[] = [
  [1280, 720, '720p'],
  [1920, 1080, '1080p'],
];

/** Decoders measured: the codecs VJ clip libraries hold (HAP frames made without an encoder). */
const DECODE: readonly {
  codec: 'h264' | 'hevc' | 'prores' | 'hap' | 'vp9' | 'vp8' | 'av1';
  container: string;
}[] = [
  { codec: 'h264', container: 'mp4' },
  { codec: 'hevc', container: 'mp4' },
  { codec: 'prores', container: 'mov' },
  { codec: 'hap', container: 'mov' },
  { codec: 'vp9', container: 'webm' },
  { codec: 'vp8', container: 'webm' },
  { codec: 'av1', container: 'matroska' },
];

const ms = (t0: number): number => performance.now() - t0;

/**
 * Scenario 10 — media I/O on FFmpeg: decode ms/frame per codec (demux + decode + swscale to I420,
 * as the Camera's video_file mode does) at 720p and 1080p; pixel conversions in JS vs swscale in
 * the same run; recording encode ms/frame per Record format.
 */
export const ioScenario: Scenario = {
  id: 'io',
  number: 9,
  title: 'Media I/O (decode per codec, conversions JS vs swscale, recording encode)',
  async run(ctx, result) {
    const quick = ctx.options.quick === true;
    const seconds = quick ? 0.34 : 1; // 10 or 30 frames per clip
    const convRuns = ctx.options.repeat ?? (quick ? 3 : 15);
    const dir = mkdtempSync(join(tmpdir(), 'pb-bench-io-'));
    const sws = new Swscale();
    try {
      for (const [w, h, label] of SIZES) {
        // Decode: the clip is made first (not timed), then read frame by frame.
        for (const d of DECODE) {
          const path = join(dir, `${d.codec}-${label}.${d.container === 'matroska' ? 'mkv' : d.container}`);
          try {
            makeClip(path, { container: d.container, codec: d.codec, seconds, width: w, height: h, fps: 30 });
          } catch (error) {
            result.notes.push(`${d.codec} ${label}: no clip (${(error as Error).message})`);
            continue;
          }
          const per: number[] = [];
          const r = new ClipReader(path);
          try {
            for (;;) {
              const t0 = performance.now();
              const f = r.next();
              if (!f) break;
              sws.frameToI420(f.frame, f.ptsMs, 0);
              per.push(ms(t0));
            }
          } finally {
            r.close();
          }
          // The first frames pay for threads and tables: the median says what a loop costs.
          result.figures.push(
            figure(`decode_${d.codec}_${label}`, `decode ${d.codec} ${label}`, 'ms/frame', [median(per)]),
          );
          ctx.log(`  decode ${d.codec} ${label}: ${median(per).toFixed(2)} ms/frame (${per.length} frames)`);
          await new Promise((res) => setImmediate(res));
        }

        // Conversions, JS loops vs swscale, on the same frames.
        const frame = testPatternFrame(w, h, 1, 33);
        const bgra = i420ToPacked(frame, 'bgra');
        const uyvy = i420ToUyvy(frame);
        const pairs: [string, () => unknown, () => unknown][] = [
          [
            'bgra_to_i420',
            () => packedToI420(bgra, w, h, 'bgra'),
            () => sws.convert('bgra', bgra, w, h, 'i420'),
          ],
          ['i420_to_rgba', () => i420ToRgba(frame), () => sws.convert('i420', frame.data, w, h, 'rgba')],
          ['uyvy_to_i420', () => uyvyToI420(uyvy, w, h), () => sws.convert('uyvy', uyvy, w, h, 'i420')],
          ['i420_to_uyvy', () => i420ToUyvy(frame), () => sws.convert('i420', frame.data, w, h, 'uyvy')],
        ];
        for (const [key, js, native] of pairs) {
          const a: number[] = [];
          const b: number[] = [];
          js();
          native();
          for (let i = 0; i < convRuns; i++) {
            let t0 = performance.now();
            js();
            a.push(ms(t0));
            t0 = performance.now();
            native();
            b.push(ms(t0));
          }
          result.figures.push(
            figure(`${key}_js_${label}`, `${key} JS ${label}`, 'ms/frame', a),
            figure(`${key}_swscale_${label}`, `${key} swscale ${label}`, 'ms/frame', b),
          );
          ctx.log(`  ${key} ${label}: JS ${median(a).toFixed(2)} / swscale ${median(b).toFixed(2)} ms`);
        }

        // Recording: encode + mux per format, the Record node's path.
        const frames = Math.round(seconds * 30);
        for (const format of RECORD_FORMATS) {
          const wr = new ClipWriter(join(dir, `rec-${label}.${format}`), {
            format,
            width: w,
            height: h,
            fps: 30,
          });
          const per: number[] = [];
          try {
            for (let k = 0; k < frames; k++) {
              const f = testPatternFrame(w, h, k, (k * 1000) / 30);
              const t0 = performance.now();
              wr.write(f);
              per.push(ms(t0));
            }
            const t0 = performance.now();
            wr.close();
            const flush = ms(t0);
            // Encoders with threads and lookahead return early and pay at close: the total says what a frame costs.
            const total = (per.reduce((a, b) => a + b, 0) + flush) / frames;
            result.figures.push(
              figure(`record_${format}_${label}`, `record ${format} (${wr.encoder}) ${label}`, 'ms/frame', [
                median(per),
              ]),
              figure(
                `record_${format}_${label}_with_flush`,
                `record ${format} ${label}, write + close ÷ frames`,
                'ms/frame',
                [total],
              ),
            );
            ctx.log(
              `  record ${format} ${label} (${wr.encoder}): ${median(per).toFixed(2)} ms/frame, close ${flush.toFixed(0)} ms`,
            );
          } catch (error) {
            wr.abandon();
            throw error;
          }
          await new Promise((res) => setImmediate(res));
        }
      }
    } finally {
      sws.close();
      rmSync(dir, { recursive: true, force: true });
    }
    result.notes.push(
      `decode = demux + decode + swscale to I420 per frame (median over a ${Math.round(seconds * 30)}-frame clip, 1 run); ` +
        `conversions: median of ${convRuns} calls each, JS and swscale interleaved; record = encode + mux per frame ` +
        '(libx264 veryfast, prores_ks standard, libvpx realtime cpu-used 8; encoders with lookahead return early and pay at close)',
    );
  },
};
