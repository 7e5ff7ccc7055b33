import { describe, expect, it } from 'vitest';
import { i420Planes, i420Size } from '../core/frame';
import { i420ToRgba, rgbaToI420 } from '../core/pixels';
import { grayFrame, isBuiltinPipeline, passthroughFrame, runBuiltin } from './builtin';

function colourFrame(w: number, h: number) {
  const rgba = new Uint8Array(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgba[i * 4] = (i * 7) % 256;
    rgba[i * 4 + 1] = (i * 13) % 256;
    rgba[i * 4 + 2] = (i * 29) % 256;
    rgba[i * 4 + 3] = 255;
  }
  return { width: w, height: h, data: rgbaToI420(rgba, w, h), timestampMs: 5, seq: 2 };
}

describe('built-in pipelines', () => {
  it('passthrough returns the very same frame', () => {
    const f = colourFrame(16, 16);
    expect(passthroughFrame(f)).toBe(f);
    expect(runBuiltin('passthrough', f)).toBe(f);
  });

  it('gray keeps BT.601 luma and removes chroma', () => {
    const f = colourFrame(32, 16);
    const g = grayFrame(f);
    const p = i420Planes(32, 16);
    expect(Buffer.from(g.data.subarray(0, p.u)).equals(Buffer.from(f.data.subarray(0, p.u)))).toBe(true);
    expect(g.data.subarray(p.u).every((v) => v === 128)).toBe(true);
    expect(g.seq).toBe(2);
    expect(g.timestampMs).toBe(5);
    // Back in RGB every pixel is gray (r = g = b) and equals 0.299R + 0.587G + 0.114B of the source.
    const rgb = i420ToRgba(g);
    for (let i = 0; i < 32 * 16; i++) {
      expect(rgb[i * 4]).toBe(rgb[i * 4 + 1]);
      expect(rgb[i * 4 + 1]).toBe(rgb[i * 4 + 2]);
    }
    expect(f.data.subarray(p.u).some((v) => v !== 128)).toBe(true);
  });

  it('gray runs in place and into a given buffer', () => {
    const f = colourFrame(16, 16);
    const copy = f.data.slice();
    const out = new Uint8Array(i420Size(16, 16) + 10);
    const g = grayFrame(f, out);
    expect(g.data.buffer).toBe(out.buffer);
    expect(Buffer.from(f.data).equals(Buffer.from(copy))).toBe(true);
    const inPlace = grayFrame(f, f.data);
    expect(inPlace.data).toEqual(g.data);
  });

  it('names its ids and rejects short data', () => {
    expect(isBuiltinPipeline('gray')).toBe(true);
    expect(isBuiltinPipeline('edges')).toBe(false);
    expect(() =>
      grayFrame({ width: 16, height: 16, data: new Uint8Array(10), timestampMs: 0, seq: 0 }),
    ).toThrow(/needs 384/);
  });
});
