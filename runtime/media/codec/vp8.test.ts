import { describe, expect, it } from 'vitest';
import { Vp8Decoder, Vp8Encoder } from './vp8';
import { patternFrame, psnrY, readPatternNumber } from '../testing/pattern';

describe('Vp8Encoder / Vp8Decoder', () => {
  it('round-trips a test image above 30 dB and keeps its size and frame number', () => {
    const enc = new Vp8Encoder({ bitrateKbps: 2000 });
    const dec = new Vp8Decoder();
    try {
      let last = 0;
      for (let i = 0; i < 10; i++) {
        const src = patternFrame(512, 512, 100 + i);
        const out = enc.encode(src);
        expect(out).not.toBeNull();
        expect(out!.keyframe).toBe(i === 0);
        const r = dec.decode(out!.data, src.timestampMs, src.seq);
        if (!r.ok) throw new Error(r.error);
        expect(r.frame.width).toBe(512);
        expect(r.frame.height).toBe(512);
        expect(r.frame.seq).toBe(src.seq);
        expect(readPatternNumber(r.frame)).toBe(100 + i);
        last = psnrY(src, r.frame);
        expect(last).toBeGreaterThan(30);
      }
      expect(enc.stats.frames).toBe(10);
      expect(dec.stats.frames).toBe(10);
    } finally {
      enc.close();
      dec.close();
    }
  });

  it('re-opens on a size change and starts the new size with a keyframe', () => {
    const enc = new Vp8Encoder();
    const dec = new Vp8Decoder();
    try {
      dec.decode(enc.encode(patternFrame(640, 480, 1))!.data);
      expect(enc.encode(patternFrame(640, 480, 2))!.keyframe).toBe(false);
      const small = enc.encode(patternFrame(320, 240, 3))!;
      expect(small.keyframe).toBe(true);
      expect(enc.stats.reopens).toBe(1);
      const r = dec.decode(small.data);
      expect(r.ok && [r.frame.width, r.frame.height]).toEqual([320, 240]);
    } finally {
      enc.close();
      dec.close();
    }
  });

  it('makes a keyframe on request', () => {
    const enc = new Vp8Encoder();
    try {
      enc.encode(patternFrame(128, 96, 0));
      expect(enc.encode(patternFrame(128, 96, 1))!.keyframe).toBe(false);
      enc.requestKeyframe();
      expect(enc.encode(patternFrame(128, 96, 2))!.keyframe).toBe(true);
      expect(enc.encode(patternFrame(128, 96, 3))!.keyframe).toBe(false);
    } finally {
      enc.close();
    }
  });

  it('returns an error result for corrupt bytes and keeps decoding afterwards', () => {
    const enc = new Vp8Encoder();
    const dec = new Vp8Decoder();
    try {
      const good = enc.encode(patternFrame(160, 120, 5))!;
      expect(dec.decode(new Uint8Array([1, 2]))).toMatchObject({ ok: false });
      expect(dec.decode(new Uint8Array(3000).fill(0x55))).toMatchObject({ ok: false });
      const truncated = good.data.subarray(0, 20);
      expect(dec.decode(truncated)).toMatchObject({ ok: false });
      const flipped = good.data.slice();
      for (let i = 10; i < flipped.length; i += 7) flipped[i] ^= 0xff;
      const r = dec.decode(flipped); // may decode to garbage or fail; must not throw
      expect(typeof r.ok).toBe('boolean');
      const again = dec.decode(good.data);
      expect(again.ok).toBe(true);
      expect(dec.stats.errors).toBeGreaterThanOrEqual(3);
    } finally {
      enc.close();
      dec.close();
    }
  });

  it('rejects frames it cannot encode with a clear error', () => {
    const enc = new Vp8Encoder();
    try {
      expect(() =>
        enc.encode({ width: 63, height: 48, data: new Uint8Array(10_000), timestampMs: 0, seq: 0 }),
      ).toThrow(/must be even/);
      expect(() =>
        enc.encode({ width: 64, height: 48, data: new Uint8Array(10), timestampMs: 0, seq: 0 }),
      ).toThrow(/needs 4608/);
      expect(() => new Vp8Encoder({ bitrateKbps: 0 })).toThrow(/bitrateKbps/);
    } finally {
      enc.close();
    }
    enc.close();
    expect(() => enc.encode(patternFrame(64, 48, 0))).toThrow(/after close/);
  });
});
