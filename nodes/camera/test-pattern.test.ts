import { describe, expect, it } from 'vitest';
import { i420Planes } from '../core/frame';
import { decodeStamp, stampStripeHeight, testPatternFrame } from './test-pattern';

function blur(data: Uint8Array, w: number, h: number): Uint8Array {
  const out = data.slice();
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += data[(y + dy) * w + x + dx]!;
      out[y * w + x] = Math.round(s / 9);
    }
  }
  return out;
}

function noisy(data: Uint8Array, amplitude: number, seed: number): Uint8Array {
  let s = seed >>> 0;
  return data.map((v) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const n = ((s / 2 ** 32) * 2 - 1) * amplitude;
    return Math.max(0, Math.min(255, Math.round(v + n)));
  });
}

describe('test pattern', () => {
  it('encodes seq and timestamp that decode exactly', () => {
    for (const [seq, ts] of [
      [0, 0],
      [1, 33.3],
      [12345, 411500],
      [0xffffffff, 0xfffffffe],
    ] as const) {
      const f = testPatternFrame(512, 512, seq, ts);
      expect(decodeStamp(f)).toEqual({ seq, timestampMs: Math.round(ts) >>> 0 });
    }
  });

  it('decodes after a blur and noise', () => {
    const f = testPatternFrame(640, 480, 987654, 123456);
    const damaged = noisy(blur(f.data, 640, 480), 40, 7);
    expect(decodeStamp({ ...f, data: damaged })).toEqual({ seq: 987654, timestampMs: 123456 });
  });

  it('works at small sizes with smaller blocks, and refuses too-narrow frames', () => {
    const f = testPatternFrame(128, 96, 42, 1000);
    expect(stampStripeHeight(128)).toBe(12);
    expect(decodeStamp(f)).toEqual({ seq: 42, timestampMs: 1000 });
    expect(decodeStamp(testPatternFrame(32, 32, 1, 1))).toBeNull();
  });

  it('returns null for a frame that is not a test pattern', () => {
    const f = testPatternFrame(512, 512, 5, 5);
    f.data.fill(200, 0, 512 * 48);
    expect(decodeStamp(f)).toBeNull();
  });

  it('is deterministic, moves with time and has colour', () => {
    const a = testPatternFrame(256, 256, 3, 100);
    const b = testPatternFrame(256, 256, 3, 100);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    const later = testPatternFrame(256, 256, 3, 600);
    const row = 200 * 256;
    expect(
      Buffer.from(a.data.subarray(row, row + 256)).equals(Buffer.from(later.data.subarray(row, row + 256))),
    ).toBe(false);
    const p = i420Planes(256, 256);
    expect(a.data.subarray(p.u, p.v).some((v) => Math.abs(v - 128) > 40)).toBe(true);
  });

  it('writes into a given buffer and rejects odd sizes', () => {
    const buf = new Uint8Array(512 * 512 * 2);
    const f = testPatternFrame(512, 512, 9, 9, buf);
    expect(f.data.buffer).toBe(buf.buffer);
    expect(() => testPatternFrame(511, 512, 0, 0)).toThrow(/even/);
  });
});
