import { describe, expect, it } from 'vitest';
import { decodeStamp, i420ToRgba, testPatternFrame } from '../../nodes';
import { encodePng } from './av/image';
import { fromI420, i420ToPacked, i420ToUyvy, nv12ToI420, packedToI420, toI420, uyvyToI420 } from './convert';

/** Mean absolute difference. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('swscale conversions agree with the JS reference (full-range BT.601)', () => {
  const f = testPatternFrame(128, 96, 5, 40);

  it('I420 → RGBA/BGRA/UYVY and back', () => {
    const rgba = fromI420(f, 'rgba');
    // Same matrix: within rounding of the JS loops except at the bars' chroma edges (swscale filters chroma).
    expect(meanDiff(rgba, i420ToRgba(f))).toBeLessThan(2);
    expect(meanDiff(fromI420(f, 'bgra'), i420ToPacked(f, 'bgra'))).toBeLessThan(2);
    // UYVY and NV12 are limited range (what NDI sends and expects): swscale maps the range both
    // ways, so a round trip gives the picture back (the JS loops only re-laid the bytes out).
    const trip = toI420('uyvy', fromI420(f, 'uyvy'), 128, 96);
    expect(meanDiff(trip.subarray(0, 128 * 96), f.data.subarray(0, 128 * 96))).toBeLessThan(1.5);
    expect(decodeStamp({ ...f, data: trip })?.seq).toBe(5);
    const back = toI420('rgba', rgba, 128, 96);
    expect(decodeStamp({ ...f, data: back })?.seq).toBe(5);
    expect(
      meanDiff(back.subarray(0, 128 * 96), packedToI420(rgba, 128, 96, 'rgba').subarray(0, 128 * 96)),
    ).toBeLessThan(1.5);
    const uyvy = i420ToUyvy(f);
    expect(toI420('uyvy', uyvy, 128, 96)).toHaveLength(uyvyToI420(uyvy, 128, 96).length);
  });

  it('honours strides and crops odd sizes to even; NV12 with an odd height', () => {
    const bgra = i420ToPacked(f, 'bgra');
    const stride = 128 * 4 + 64;
    const padded = new Uint8Array(stride * 96);
    for (let y = 0; y < 96; y++) padded.set(bgra.subarray(y * 512, (y + 1) * 512), y * stride);
    expect(
      Buffer.from(toI420('bgra', padded, 128, 96, stride)).equals(Buffer.from(toI420('bgra', bgra, 128, 96))),
    ).toBe(true);
    expect(toI420('bgra', padded, 127, 95, stride)).toHaveLength(126 * 94 * 1.5);
    // NV12 of 128×95: the chroma plane starts after 95 luma rows.
    const nv = new Uint8Array(128 * 95 + 128 * 47).fill(128);
    nv.fill(200, 0, 128 * 95);
    const a = toI420('nv12', nv, 128, 95);
    expect(a).toHaveLength(nv12ToI420(nv, 128, 95).length);
    // Limited-range luma 200 is full-range (200 − 16)·255/219 = 214; neutral chroma stays 128.
    expect(Math.abs(a[0]! - 214)).toBeLessThanOrEqual(1);
    expect(Math.abs(a[128 * 94]! - 128)).toBeLessThanOrEqual(1);
    expect(() => toI420('bgra', new Uint8Array(10), 128, 96)).toThrow(/bytes given/);
  });

  it('tiny images: swscale writes whole vectors, so its output rows are padded and repacked (no heap corruption, same pixels)', () => {
    // Before the padding, 4×4 RGB24 PNGs wrote past their exact-size buffer: within a few
    // thousand the heap was corrupt ("corrupted size vs. prev_size") and the process died.
    const tiny = testPatternFrame(4, 4, 1, 0);
    for (let i = 0; i < 5000; i++) {
      encodePng({ ...tiny, seq: i });
      fromI420(tiny, i % 2 ? 'rgba' : 'uyvy');
    }
    const small = testPatternFrame(6, 4, 2, 0);
    expect(meanDiff(fromI420(small, 'rgba'), i420ToRgba(small))).toBeLessThan(12);
  });
});
