import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStamp, type VideoFrame } from '../../nodes';
import { ManualClock } from '../clock';
import { MediaFileError } from './av/ffmpeg';
import { makeClip, makeTestMedia, type TestMedia } from './test-media';
import { resolveAssetFile, VideoFileSource } from './video-file';

let tmp: string;
let media: TestMedia;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'pb-vfile-'));
  media = makeTestMedia({ dir: tmp, seconds: 1, width: 160, height: 120, fps: 30 });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Plays `path` for 30 s on a manual clock from t=5000 and checks every frame's time and content. */
function loop30s(path: string, frames = 30): void {
  const clock = new ManualClock(5000);
  const src = new VideoFileSource(path, { clock });
  const seen: { t: number; seq: number; stamp: number }[] = [];
  src.start((f: VideoFrame) => seen.push({ t: f.timestampMs, seq: f.seq, stamp: decodeStamp(f)?.seq ?? -1 }));
  clock.advance(10_000);
  global.gc?.();
  const rss10 = process.memoryUsage().rss;
  const heap10 = process.memoryUsage().heapUsed;
  clock.advance(20_000);
  global.gc?.();
  const rss30 = process.memoryUsage().rss;
  const heap30 = process.memoryUsage().heapUsed;
  // 30 s at 30 fps from t=5000: frames at 5000 + k·33.33 for k = 0..900 (the 901st is due at exactly 35000).
  expect(seen).toHaveLength(901);
  for (let k = 0; k < seen.length; k++) {
    expect(seen[k]!.seq).toBe(k);
    expect(Math.abs(seen[k]!.t - (5000 + (k * 1000) / 30))).toBeLessThanOrEqual(1);
    expect(seen[k]!.stamp).toBe(k % frames); // the file's own frame counter, looping
  }
  // No drift after 30 loops: the last frame is on the exact grid, far inside one frame (33 ms).
  expect(Math.abs(seen[900]!.t - 35000)).toBeLessThan(0.01);
  expect(src.counters()).toMatchObject({ frames: 901, loops: 30, skipped: 0, errors: 0 });
  expect(clock.pending()).toBe(1); // exactly one timer: the next frame
  // Memory flat: 20 s (600 frames, 20 loops) more cost no native or JS memory to speak of.
  expect(rss30 - rss10).toBeLessThan(24 * 1024 * 1024);
  expect(heap30 - heap10).toBeLessThan(16 * 1024 * 1024);
  void src.stop();
  expect(clock.pending()).toBe(0);
}

describe('VideoFileSource', () => {
  for (const kind of ['webm', 'ivf'] as const) {
    it(`${kind} (VP8): 30 s of looping on a manual clock, every frame on schedule from the loop start, no leak`, () => {
      loop30s(media[kind]);
    });
  }

  // Clips made here with node-av's own encoders (HAP frames written by test-media: no hap encoder).
  const clips = [
    { name: 'H.264 MP4', file: 'h264.mp4', container: 'mp4', codec: 'h264', decoder: 'h264' },
    { name: 'HEVC MP4', file: 'hevc.mp4', container: 'mp4', codec: 'hevc', decoder: 'hevc' },
    { name: 'ProRes MOV', file: 'prores.mov', container: 'mov', codec: 'prores', decoder: 'prores' },
    { name: 'HAP MOV', file: 'hap.mov', container: 'mov', codec: 'hap', decoder: 'hap' },
    { name: 'VP9 WebM', file: 'vp9.webm', container: 'webm', codec: 'vp9', decoder: 'vp9' },
  ] as const;
  for (const c of clips) {
    it(`${c.name}: decodes and loops 30 s with frame count, timing and memory checked`, () => {
      const path = join(tmp, c.file);
      const s = makeClip(path, {
        container: c.container,
        codec: c.codec,
        seconds: 1,
        width: 160,
        height: 120,
        fps: 30,
      });
      expect(s.frames).toBe(30);
      const probe = new VideoFileSource(path, { clock: new ManualClock(0) });
      expect(probe.info).toMatchObject({
        codec: c.decoder,
        width: 160,
        height: 120,
        fps: 30,
        durationMs: 1000,
      });
      void probe.stop();
      loop30s(path);
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

  it('speed: 2× plays the frames twice as fast, 0.5× half as fast, from where it is', () => {
    const clock = new ManualClock(0);
    const src = new VideoFileSource(media.webm, { clock, speed: 2 });
    const seen: { t: number; stamp: number }[] = [];
    src.start((f) => seen.push({ t: f.timestampMs, stamp: decodeStamp(f)?.seq ?? -1 }));
    clock.advance(500); // 2×: one second of clip in 500 ms
    expect(seen.map((s) => s.stamp)).toEqual([...Array.from({ length: 30 }, (_, k) => k), 0]);
    expect(seen[30]!.t).toBeCloseTo(500, 6);
    src.setSpeed(0.5);
    clock.advance(200); // 0.5×: frame k+1 comes 66.7 ms after frame k
    expect(seen.slice(31).map((s) => s.stamp)).toEqual([1, 2, 3]);
    expect(seen[31]!.t).toBeCloseTo(500 + 66.667, 2);
    void src.stop();
  });

  it('position: starts at and seeks to a time, including past a keyframe (decodes up to it)', () => {
    const path = join(tmp, 'seek.mp4');
    makeClip(path, {
      container: 'mp4',
      codec: 'h264',
      seconds: 2,
      width: 160,
      height: 120,
      fps: 30,
      keyframeInterval: 30,
    });
    const clock = new ManualClock(0);
    const src = new VideoFileSource(path, { clock, positionS: 0.5 });
    const seen: number[] = [];
    src.start((f) => seen.push(decodeStamp(f)?.seq ?? -1));
    expect(seen).toEqual([15]);
    src.seek(1.5); // frame 45, after the keyframe at 30
    expect(seen).toEqual([15, 45]);
    clock.advance(34);
    expect(seen).toEqual([15, 45, 46]);
    src.seek(0);
    expect(seen.at(-1)).toBe(0);
    void src.stop();
  });

  it('a truncated clip plays what it holds and names the file and what FFmpeg said; a corrupt one fails to open the same way', () => {
    const whole = join(tmp, 'whole.mp4');
    // Fragment-free MP4 with the index at the end would lose everything; cut a WebM instead.
    makeClip(whole, { container: 'webm', codec: 'vp9', seconds: 1, width: 160, height: 120, fps: 30 });
    const bytes = readFileSync(whole);
    const cut = join(tmp, 'cut.webm');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const clock = new ManualClock(0);
    const src = new VideoFileSource(cut, { clock });
    let n = 0;
    src.start(() => n++);
    clock.advance(3000);
    expect(n).toBeGreaterThan(30); // it loops over what decodes
    void src.stop();

    const junk = join(tmp, 'junk.mov');
    writeFileSync(junk, Buffer.from('this is not a video file at all, just words'.repeat(20)));
    expect(() => new VideoFileSource(junk, { clock })).toThrow(MediaFileError);
    expect(() => new VideoFileSource(junk, { clock })).toThrow(
      /junk\.mov: FFmpeg could not open it: Invalid data/,
    );
    expect(() => new VideoFileSource(join(tmp, 'none.mp4'), { clock })).toThrow(/none\.mp4.*No such file/);
  });

  it('never reads outside the assets folder: .., absolute paths and links out are refused', () => {
    const assets = join(tmp, 'assets');
    mkdirSync(assets, { recursive: true });
    writeFileSync(join(tmp, 'secret.mp4'), 'x');
    symlinkSync(join(tmp, 'secret.mp4'), join(assets, 'link.mp4'));
    writeFileSync(join(assets, 'ok.mp4'), 'x');
    expect(resolveAssetFile(assets, 'ok.mp4')).toMatch(/ok\.mp4$/);
    expect(() => resolveAssetFile(assets, '../secret.mp4')).toThrow(/outside the assets folder/);
    expect(() => resolveAssetFile(assets, join(tmp, 'secret.mp4'))).toThrow(/outside the assets folder/);
    expect(() => resolveAssetFile(assets, 'link.mp4')).toThrow(/links outside the assets folder/);
    expect(() => resolveAssetFile(assets, 'missing.mp4')).toThrow(/not in the assets folder/);
  });
});
