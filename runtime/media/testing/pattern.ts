/**
 * Synthetic test frames with their frame number written into the pixels, so a receiver can
 * check that what it decoded is the frame that was sent (and which one). Used by the media
 * tests and the codec measurement; exported for other tests (loopback, relay).
 */
import { i420Planes, i420Size, type VideoFrame } from '../../../nodes';

const MARK_BITS = 16;

/** Width of one code block: the frame number is 16 black/white blocks across the top rows. */
function blockSize(width: number): number {
  return Math.max(4, Math.floor(width / MARK_BITS) & ~1);
}

/**
 * A moving pattern (diagonal gradient plus a sliding bright square) with `n` (mod 65536)
 * encoded in the top band. Deterministic: the same arguments give the same bytes.
 */
export function patternFrame(
  width: number,
  height: number,
  n: number,
  timestampMs = n * (1000 / 30),
): VideoFrame {
  const data = new Uint8Array(i420Size(width, height));
  const p = i420Planes(width, height);
  const shift = n * 4;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) data[row + x] = 40 + (((x + y + shift) >> 2) % 160);
  }
  // A bright square sliding left to right.
  const side = Math.max(8, height >> 3) & ~1;
  const sx = (n * 6) % Math.max(1, width - side);
  const sy = height >> 1;
  for (let y = sy; y < Math.min(height, sy + side); y++)
    data.fill(235, y * width + sx, y * width + sx + side);
  const cw = width >> 1;
  const ch = height >> 1;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      data[p.u + y * cw + x] = 128 + Math.round(60 * Math.sin((x + n) / 20));
      data[p.v + y * cw + x] = 128 + Math.round(60 * Math.cos((y + n) / 24));
    }
  }
  // Frame-number band: 16 blocks, each white (1) or black (0), most significant bit first.
  const b = blockSize(width);
  const code = n & 0xffff;
  for (let i = 0; i < MARK_BITS; i++) {
    const v = (code >> (MARK_BITS - 1 - i)) & 1 ? 255 : 0;
    for (let y = 0; y < b && y < height; y++) data.fill(v, y * width + i * b, y * width + (i + 1) * b);
    // Grey chroma under the band keeps its luma values clean after 4:2:0 subsampling.
    for (let y = 0; y < b >> 1; y++) {
      data.fill(128, p.u + y * cw + ((i * b) >> 1), p.u + y * cw + (((i + 1) * b) >> 1));
      data.fill(128, p.v + y * cw + ((i * b) >> 1), p.v + y * cw + (((i + 1) * b) >> 1));
    }
  }
  return { width, height, data, timestampMs, seq: n };
}

/** Reads the frame number written by {@link patternFrame}, sampling each block's centre. */
export function readPatternNumber(frame: VideoFrame): number {
  const b = blockSize(frame.width);
  let code = 0;
  for (let i = 0; i < MARK_BITS; i++) {
    let sum = 0;
    let count = 0;
    for (let y = b >> 2; y < (3 * b) >> 2; y++) {
      for (let x = i * b + (b >> 2); x < i * b + ((3 * b) >> 2); x++) {
        sum += frame.data[y * frame.width + x]!;
        count++;
      }
    }
    code = (code << 1) | (sum / count > 128 ? 1 : 0);
  }
  return code;
}

/** Luma PSNR in dB between two frames of the same size (Infinity when identical). */
export function psnrY(a: VideoFrame, b: VideoFrame): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`psnrY: sizes differ (${a.width}×${a.height} vs ${b.width}×${b.height})`);
  }
  const n = a.width * a.height;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = a.data[i]! - b.data[i]!;
    se += d * d;
  }
  if (se === 0) return Infinity;
  return 10 * Math.log10((255 * 255) / (se / n));
}
