import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatContext, Packet } from 'node-av/lib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeStamp, testPatternFrame } from '../../../nodes';
import { Vp8Decoder, Vp8Encoder } from '../../media';
import { Recorder } from '../recorder';
import { encodeSize, readHeader } from './ebml';
import { IvfWriter } from './ivf';
import { parseVideoFile, readVideoFile, VideoFileError, webmDurationMs } from './reader';
import { WebmWriter } from './writer';

const tmp = mkdtempSync(join(tmpdir(), 'pb-webm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** FFmpeg's own reading of the file: an independent check of what we wrote. */
async function ffprobe(
  path: string,
): Promise<{ durationMs: number; packets: number; width: number; codec: string }> {
  const ctx = new FormatContext();
  const ret = await ctx.openInput(path);
  if (ret < 0) throw new Error(`FFmpeg could not open ${path}: ${ret}`);
  await ctx.findStreamInfo();
  const pkt = new Packet();
  pkt.alloc();
  let packets = 0;
  while ((await ctx.readFrame(pkt)) >= 0) {
    packets++;
    pkt.unref();
  }
  pkt.free();
  const st = ctx.streams![0]!;
  const out = {
    durationMs: Number(ctx.duration) / 1000,
    packets,
    width: st.codecpar.width,
    codec: String(st.codecpar.codecId),
  };
  await ctx.closeInput();
  return out;
}

describe('EBML', () => {
  it('sizes round-trip and refuse the reserved all-ones value', () => {
    for (const n of [0, 1, 126, 127, 128, 16382, 16383, 2 ** 20, 2 ** 40]) {
      const b = encodeSize(n);
      const h = readHeader(Uint8Array.of(0xec, ...b), 0);
      expect(h?.size).toBe(n);
    }
    expect(() => encodeSize(127, 1)).toThrow(/does not fit/);
    expect(() => encodeSize(-1)).toThrow();
  });
});

describe('WebmWriter + Recorder', () => {
  it('records 60 test-pattern frames at 30 fps: FFmpeg and our reader agree on 2 s and 60 frames, stamps survive', async () => {
    const rec = new Recorder({
      dir: tmp,
      prefix: 'pattern',
      wallClock: () => new Date('2025-01-02T03:04:05.678Z'),
    });
    rec.start();
    for (let i = 0; i < 60; i++)
      expect(rec.send(testPatternFrame(320, 240, i, 1000 + (i * 1000) / 30))).toBe(true);
    const s = rec.stop()!;
    expect(s.path).toBe(join(tmp, 'pattern-2025-01-02T03-04-05-678Z.webm'));
    expect(s.frames).toBe(60);
    expect(s.durationMs).toBeCloseTo(2000, 0);
    const bytes = new Uint8Array(readFileSync(s.path));
    expect(webmDurationMs(bytes)).toBeCloseTo(2000, 0);

    const probe = await ffprobe(s.path);
    expect(probe.packets).toBe(60);
    expect(probe.width).toBe(320);
    expect(Math.abs(probe.durationMs - 2000)).toBeLessThanOrEqual(1000 / 30);

    const file = parseVideoFile(bytes, s.path);
    expect(file.frames).toHaveLength(60);
    expect(file.frameDurationMs).toBeCloseTo(1000 / 30, 3);
    expect(file.durationMs).toBeCloseTo(2000, 0);
    const dec = new Vp8Decoder();
    file.frames.forEach((f, i) => {
      expect(Math.abs(f.ptsMs - (i * 1000) / 30)).toBeLessThanOrEqual(0.5);
      const r = dec.decode(f.data);
      expect(r.ok).toBe(true);
      if (r.ok) expect(decodeStamp(r.frame)?.seq).toBe(i);
    });
    dec.close();
  });

  it('a frame of a new size starts a second file; a second file in the same ms gets a suffix', () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const rec = new Recorder({ dir: tmp, prefix: 'resize', wallClock: () => at });
    rec.start();
    rec.send(testPatternFrame(64, 64, 0, 0));
    rec.send(testPatternFrame(64, 64, 1, 33));
    rec.send(testPatternFrame(128, 64, 2, 66));
    const last = rec.stop()!;
    expect(rec.files()).toHaveLength(2);
    expect(rec.files()[0]!.frames).toBe(2);
    expect(last.frames).toBe(1);
    expect(last.path).toMatch(/resize-2025-01-02T03-04-05-000Z-2\.webm$/);
  });

  it('refuses bad names and bad input with clear errors', () => {
    expect(() => new Recorder({ dir: tmp, prefix: '../etc/passwd' })).toThrow(/may use only letters/);
    const w = new WebmWriter(join(tmp, 'x.webm'), { width: 16, height: 16 });
    expect(() => w.addFrame(Uint8Array.of(1, 2, 3), 0, false)).toThrow(/first frame must be a keyframe/);
    w.close();
    expect(() => new WebmWriter(join(tmp, 'y.webm'), { width: 0, height: 16 })).toThrow(/not valid/);
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

describe('readers', () => {
  it('IVF written frame by frame reads back with its frame rate', () => {
    const path = join(tmp, 'a.ivf');
    const w = new IvfWriter(path, { width: 64, height: 48, fps: 25 });
    const enc = new Vp8Encoder();
    for (let i = 0; i < 10; i++) w.addFrame(enc.encode(testPatternFrame(64, 48, i, i * 40))!.data, i);
    enc.close();
    expect(w.close().frames).toBe(10);
    const f = readVideoFile(path);
    expect(f).toMatchObject({
      container: 'ivf',
      width: 64,
      height: 48,
      frameDurationMs: 40,
      durationMs: 400,
    });
    expect(f.frames[9]!.ptsMs).toBe(360);
    expect(f.frames[0]!.keyframe).toBe(true);
  });

  it('unknown-size Segment and Clusters (as MediaRecorder writes) are read', () => {
    const path = join(tmp, 'known.webm');
    const w = new WebmWriter(path, { width: 64, height: 48, fps: 30 });
    const enc = new Vp8Encoder();
    for (let i = 0; i < 5; i++) {
      const e = enc.encode(testPatternFrame(64, 48, i, i * 33))!;
      w.addFrame(e.data, i * 33, e.keyframe);
    }
    enc.close();
    w.close();
    const bytes = new Uint8Array(readFileSync(path));
    // Rewrite every Segment/Cluster size as "unknown" (8-byte all ones after the marker).
    const hex = Buffer.from(bytes).toString('hex');
    const unknown = hex.replace(
      /(18538067|1f43b675)(0[1-9a-f][0-9a-f]{14}|[4-7][0-9a-f]{3}|[89a-f][0-9a-f])/g,
      (_m, id: string, size: string) =>
        id + (size.length === 16 ? '01ffffffffffffff' : size.length === 4 ? '7fff' : 'ff'),
    );
    expect(unknown.match(/1f43b67501ffffffffffffff|1f43b6757fff|1f43b675ff/)).not.toBeNull();
    expect(unknown.startsWith(hex.slice(0, 80))).toBe(true);
    expect(unknown).toContain('1853806701ffffffffffffff');
    const f = parseVideoFile(new Uint8Array(Buffer.from(unknown, 'hex')), 'unknown.webm');
    expect(f.frames).toHaveLength(5);
    expect(f.frames.map((x) => x.ptsMs)).toEqual([0, 33, 66, 99, 132]);
  });

  it('bad files name themselves and what is wrong', () => {
    const junk = join(tmp, 'junk.webm');
    writeFileSync(junk, 'hello world');
    expect(() => readVideoFile(junk)).toThrow(VideoFileError);
    expect(() => readVideoFile(junk)).toThrow(/junk\.webm.*neither WebM nor IVF/);
    expect(() => readVideoFile(join(tmp, 'missing.webm'))).toThrow(/cannot be opened/);
    const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 32]), Buffer.from('ftypisom'), Buffer.alloc(24)]);
    expect(() => parseVideoFile(mp4, 'clip.mp4')).toThrow(/MP4 file.*ffmpeg/);
    const ivf = Buffer.alloc(32);
    ivf.write('DKIF');
    ivf.write('VP90', 8);
    expect(() => parseVideoFile(ivf, 'v.ivf')).toThrow(/"VP90" is not VP8/);
    expect(() => parseVideoFile(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x80]), 'e.webm')).toThrow(/DocType/);
  });
});
