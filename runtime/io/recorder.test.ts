import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStamp, testPatternFrame } from '../../nodes';
import { readClipFrames } from './av/clip-reader';
import { PacketCopyWriter } from './av/clip-writer';
import { remuxVideo } from './av/remux';
import { patchFromMediaFile } from './embed';
import { Recorder } from './recorder';
import { makeTestMedia } from './test-media';

const tmp = mkdtempSync(join(tmpdir(), 'pb-rec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Recorder (FFmpeg muxers through node-av)', () => {
  for (const [format, codec, encoder] of [
    ['webm', 'vp8', 'libvpx'],
    ['mp4', 'h264', /libx264|h264_nvenc/],
    ['mov', 'prores', 'prores_ks'],
  ] as const) {
    it(`${format}: 60 test-pattern frames at 30 fps → FFmpeg's demuxer reads ${codec}, 60 frames, 2 s, stamps in order, the patch tag`, () => {
      const rec = new Recorder({
        dir: tmp,
        prefix: `pattern-${format}`,
        format,
        wallClock: () => new Date('2025-01-02T03:04:05.678Z'),
        metadata: () => ({ patchbay_patch: '{"format":"patchbay","nodes":[]}' }),
      });
      rec.start();
      for (let i = 0; i < 60; i++)
        expect(rec.send(testPatternFrame(320, 240, i, 1000 + (i * 1000) / 30))).toBe(true);
      expect(readdirSync(tmp).some((f) => f.endsWith(`.${format}.part`))).toBe(true); // half-written: not yet its name
      const s = rec.stop()!;
      expect(s.path).toBe(join(tmp, `pattern-${format}-2025-01-02T03-04-05-678Z.${format}`));
      expect(s.encoder).toMatch(encoder);
      expect(s).toMatchObject({ frames: 60, width: 320, height: 240 });
      expect(s.durationMs).toBeCloseTo(2000, 6);
      const file = readClipFrames(s.path);
      expect(file.info).toMatchObject({ codec, width: 320, height: 240, fps: 30 });
      expect(file.info.durationMs).toBeCloseTo(2000, 0);
      expect(file.frames).toHaveLength(60);
      file.frames.forEach((f, i) => {
        expect(Math.abs(f.timestampMs - (i * 1000) / 30)).toBeLessThanOrEqual(0.5);
        expect(decodeStamp(f)?.seq).toBe(i);
      });
      expect(patchFromMediaFile(s.path)).toBe('{"format":"patchbay","nodes":[]}');
    });
  }

  it('a frame of a new size starts a second file; a second file in the same ms gets a suffix; setFormat applies to the next file', () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const rec = new Recorder({ dir: tmp, prefix: 'resize', wallClock: () => at });
    rec.start();
    rec.send(testPatternFrame(64, 64, 0, 0));
    rec.send(testPatternFrame(64, 64, 1, 33));
    rec.setFormat('mp4');
    rec.send(testPatternFrame(128, 64, 2, 66));
    const last = rec.stop()!;
    expect(rec.files()).toHaveLength(2);
    expect(rec.files()[0]!.frames).toBe(2);
    expect(rec.files()[0]!.path).toMatch(/resize-2025-01-02T03-04-05-000Z\.webm$/);
    expect(last.frames).toBe(1);
    expect(last.path).toMatch(/resize-2025-01-02T03-04-05-000Z\.mp4$/);
    rec.start();
    rec.send(testPatternFrame(64, 64, 3, 99));
    expect(rec.stop()!.path).toMatch(/resize-2025-01-02T03-04-05-000Z-2\.mp4$/);
  });

  it('refuses bad names, formats and frames with clear errors', () => {
    expect(() => new Recorder({ dir: tmp, prefix: '../etc/passwd' })).toThrow(/may use only letters/);
    expect(() => new Recorder({ dir: tmp, format: 'avi' as never })).toThrow(/not one of webm, mp4, mov/);
    const rec = new Recorder({ dir: tmp });
    expect(rec.send(testPatternFrame(16, 16, 0, 0))).toBe(false); // not started
    rec.start();
    expect(rec.send({ width: 16, height: 16, data: new Uint8Array(3), timestampMs: 0, seq: 0 })).toBe(false);
    expect(rec.status()).toMatchObject({
      state: 'error',
      message: expect.stringContaining('16×16 I420 needs 384'),
    });
  });
});

describe('copying encoded frames (no re-encode)', () => {
  it('remuxVideo copies VP8 packets into a seekable WebM with the duration in its header', () => {
    const media = makeTestMedia({ dir: tmp, seconds: 1, width: 64, height: 48, fps: 25, name: 'copy-src' });
    const out = join(tmp, 'copied.webm');
    const s = remuxVideo(media.ivf, out, 'webm');
    expect(s).toMatchObject({ frames: 25, keyframes: 1, width: 64, height: 48, durationMs: 1000 });
    const file = readClipFrames(out);
    expect(file.info.durationMs).toBe(1000);
    expect(file.frames.map((f) => decodeStamp(f)?.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('PacketCopyWriter stores encoded frames as given (it never decodes them)', () => {
    const w = new PacketCopyWriter(join(tmp, 'bad.webm'), { container: 'webm', width: 64, height: 48 });
    expect(() => w.addFrame(Uint8Array.of(1, 2, 3), 0, true)).not.toThrow(); // the muxer stores what it is given
    expect(w.close().frames).toBe(1);
  });
});
