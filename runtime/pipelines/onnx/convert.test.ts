import { describe, expect, it } from 'vitest';
import { blackFrame, i420ToRgba, type VideoFrame } from '../../../nodes';
import type { FloatImageSpec } from './contract';
import { i420ToTensor, tensorToI420 } from './convert';

/**
 * The JS conversion float user models get: the frame-sized planar loop (two pixels per chroma
 * sample) against the general per-pixel loop (NHWC) and against nodes' i420ToRgba.
 */

function randomFrame(w: number, h: number, seed: number): VideoFrame {
  const f = blackFrame(w, h);
  let s = seed >>> 0;
  for (let i = 0; i < f.data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f.data[i] = s >>> 24;
  }
  return f;
}

const NCHW: FloatImageSpec = { name: 'x', layout: 'NCHW', range: [0, 1], channels: 'rgb' };
const NHWC: FloatImageSpec = { name: 'x', layout: 'NHWC', range: [0, 1], channels: 'rgb' };

describe('I420 ↔ float tensor (JS)', () => {
  it('the planar fast path equals the general loop and i420ToRgba (within its truncation)', () => {
    const w = 34;
    const h = 20;
    const frame = randomFrame(w, h, 5);
    const planar = i420ToTensor(frame, NCHW);
    const interleaved = i420ToTensor(frame, NHWC);
    const rgba = i420ToRgba(frame);
    const n = w * h;
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++) {
        expect(planar[c * n + i]).toBe(interleaved[i * 3 + c]);
        const v = planar[c * n + i]! * 255;
        expect(v - rgba[i * 4 + c]!).toBeGreaterThanOrEqual(-1e-3);
        expect(v - rgba[i * 4 + c]!).toBeLessThan(1);
      }
    // Back: both layouts give the same bytes.
    expect(tensorToI420(planar, NCHW, w, h)).toEqual(tensorToI420(interleaved, NHWC, w, h));
  });

  it('round-trips gray exactly and reuses the buffers it is given', () => {
    const frame = blackFrame(8, 6);
    for (let i = 0; i < 48; i++) frame.data[i] = i * 5;
    frame.data.fill(128, 48);
    const t = new Float32Array(3 * 48 + 7);
    expect(i420ToTensor(frame, NCHW, 8, 6, t)).toBe(t);
    const out = new Uint8Array(72);
    expect(tensorToI420(t, NCHW, 8, 6, 8, 6, out)).toBe(out);
    expect(out).toEqual(frame.data);
  });
});
