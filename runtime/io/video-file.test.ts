import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStamp, type VideoFrame } from '../../nodes';
import { ManualClock } from '../clock';
import { makeTestMedia, type TestMedia } from './test-media';
import { VideoFileSource } from './video-file';

let tmp: string;
let media: TestMedia;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pb-vfile-'));
  media = makeTestMedia({ dir: tmp, seconds: 1, width: 160, height: 120, fps: 30 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('VideoFileSource', () => {
  for (const kind of ['webm', 'ivf'] as const) {
    it(`${kind}: 30 s of looping on a manual clock: every frame on schedule from the loop start, in order, no leak`, () => {
      const clock = new ManualClock(5000);
      const src = new VideoFileSource(media[kind], { clock });
      expect(src.file.frames).toHaveLength(30);
      const seen: { t: number; seq: number; stamp: number }[] = [];
      src.start((f: VideoFrame) =>
        seen.push({ t: f.timestampMs, seq: f.seq, stamp: decodeStamp(f)?.seq ?? -1 }),
      );
      const heap0 = process.memoryUsage().heapUsed;
      clock.advance(30_000);
      const heap1 = process.memoryUsage().heapUsed;
      // 30 s at 30 fps from t=5000: frames at 5000 + k·33.33 for k = 0..900 (the 901st is due at exactly 35000).
      expect(seen).toHaveLength(901);
      for (let k = 0; k < seen.length; k++) {
        expect(seen[k]!.seq).toBe(k);
        expect(Math.abs(seen[k]!.t - (5000 + (k * 1000) / 30))).toBeLessThanOrEqual(1);
        expect(seen[k]!.stamp).toBe(k % 30); // the file's own frame counter, looping
      }
      expect(Math.abs(seen[900]!.t - 35000)).toBeLessThan(0.01); // no accumulated drift after 30 loops (DefaultDuration is whole ns)
      expect(src.counters()).toMatchObject({ frames: 901, loops: 30, skipped: 0, errors: 0 });
      expect(clock.pending()).toBe(1); // exactly one timer: the next frame
      expect(heap1 - heap0).toBeLessThan(30 * 1024 * 1024);
      void src.stop();
      expect(clock.pending()).toBe(0);
    });
  }

  it('a clock that jumps ahead shows the frame due now (decoding the ones between), without bursting', () => {
    // A wall clock that stalls: time moves only when the test says, and timers fire when asked.
    let t = 0;
    let pending: (() => void) | null = null;
    const clock = { now: () => t, setTimeout: (fn: () => void) => ((pending = fn), () => (pending = null)) };
    const src = new VideoFileSource(media.webm, { clock });
    const seen: number[] = [];
    src.start((f) => seen.push(decodeStamp(f)?.seq ?? -1));
    t = 350; // 10.5 frames late
    pending!();
    expect(seen).toEqual([0, 10]);
    expect(src.counters().skipped).toBe(9);
    t = 367; // back on schedule: frame 11 is due at 366.7
    pending!();
    expect(seen).toEqual([0, 10, 11]);
    void src.stop();
  });

  it('stops after the last frame when loop is off', () => {
    const clock = new ManualClock(0);
    const src = new VideoFileSource(media.ivf, { clock, loop: false });
    let n = 0;
    src.start(() => n++);
    clock.advance(5000);
    expect(n).toBe(30);
    expect(src.status()).toMatchObject({ state: 'idle', message: 'reached the end of the file' });
  });
});
