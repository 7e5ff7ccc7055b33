import { i420Planes, i420Size, type VideoFrame } from '../core/frame';

/**
 * The Camera node's `test_pattern` source, made in the runtime so headless runs need no
 * browser: moving colour bars, plus a stamp stripe across the top that carries the frame
 * counter (seq) and the timestamp (ms) as black/white blocks. The stripe survives VP8
 * compression, a mild blur and noise, so a receiver (benchmarks, tests) can read back which
 * frame it got and when it was made. Pure and deterministic: same arguments, same bytes.
 */

/** Bits per stamp row; three rows: seq, timestamp, then sync (16 bits) + checksum (16 bits). */
const BITS = 32;
const ROWS = 3;
const SYNC = 0xa5c3;
/** The largest block; frames narrower than 32×16 px get smaller blocks. */
const MAX_BLOCK = 16;

/** Classic bars (white, yellow, cyan, green, magenta, red, blue, black) as full-range YUV. */
const toYuv = ([r, g, b]: readonly [number, number, number]): readonly [number, number, number] => [
  Math.round(0.299 * r + 0.587 * g + 0.114 * b),
  Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128),
  Math.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128),
];
const BARS: readonly (readonly [number, number, number])[] = (
  [
    [255, 255, 255],
    [255, 255, 0],
    [0, 255, 255],
    [0, 255, 0],
    [255, 0, 255],
    [255, 0, 0],
    [0, 0, 255],
    [0, 0, 0],
  ] as const
).map(toYuv);

/** Side of one stamp block in pixels for a frame width (even, ≥ 2), or 0 when too narrow. */
export function stampBlockSize(width: number): number {
  const b = Math.min(MAX_BLOCK, Math.floor(width / BITS) & ~1);
  return b >= 2 ? b : 0;
}

/** Height in pixels of the stamp stripe at the top of a frame of this width. */
export function stampStripeHeight(width: number): number {
  return stampBlockSize(width) * ROWS;
}

function checksum(seq: number, ts: number): number {
  // Folds both words so a misread bit anywhere changes it.
  const x = (seq ^ Math.imul(ts, 0x9e3779b1)) >>> 0;
  return ((x >>> 16) ^ (x & 0xffff) ^ 0x5a5a) & 0xffff;
}

/**
 * Draws test-pattern frame `seq` at `timestampMs` (the bars move with time: a quarter of the
 * width per second). Writes into `out` when given (a pooled buffer of i420Size bytes).
 *
 * @example const f = testPatternFrame(512, 512, 7, 233.3); decodeStamp(f) // { seq: 7, timestampMs: 233 }
 */
export function testPatternFrame(
  width: number,
  height: number,
  seq: number,
  timestampMs: number,
  out?: Uint8Array,
): VideoFrame {
  if (width < 2 || height < 2 || width % 2 || height % 2) {
    throw new RangeError(`test pattern: width and height must be even and ≥ 2 (got ${width}×${height})`);
  }
  const size = i420Size(width, height);
  if (out && out.length < size)
    throw new RangeError(`test pattern: buffer of ${out.length} bytes is smaller than ${size}`);
  const data = out ? out.subarray(0, size) : new Uint8Array(size);
  const p = i420Planes(width, height);
  const cw = width >> 1;
  const ch = height >> 1;
  const barW = Math.max(2, Math.floor(width / BARS.length) & ~1);
  const period = barW * BARS.length;
  const shift = Math.floor((timestampMs / 1000) * (width / 4)) & ~1;
  // One luma row and one chroma row describe the whole picture (bars are vertical), then repeat.
  const yRow = new Uint8Array(width);
  const uRow = new Uint8Array(cw);
  const vRow = new Uint8Array(cw);
  for (let x = 0; x < width; x++) {
    const bar = BARS[Math.floor(((((x + shift) % period) + period) % period) / barW) % BARS.length]!;
    yRow[x] = bar[0];
    if ((x & 1) === 0) {
      uRow[x >> 1] = bar[1];
      vRow[x >> 1] = bar[2];
    }
  }
  for (let y = 0; y < height; y++) data.set(yRow, y * width);
  for (let y = 0; y < ch; y++) {
    data.set(uRow, p.u + y * cw);
    data.set(vRow, p.v + y * cw);
  }
  // A luma ramp along the bottom eighth shows motion smoothness and clipping at a glance.
  const rampTop = height - (height >> 3);
  for (let y = rampTop; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = Math.floor((x * 255) / Math.max(1, width - 1));
  }
  for (let y = rampTop >> 1; y < ch; y++) {
    data.fill(128, p.u + y * cw, p.u + (y + 1) * cw);
    data.fill(128, p.v + y * cw, p.v + (y + 1) * cw);
  }
  writeStamp(data, width, height, seq, timestampMs);
  return { width, height, data, timestampMs, seq };
}

function writeStamp(data: Uint8Array, width: number, height: number, seq: number, timestampMs: number): void {
  const b = stampBlockSize(width);
  if (!b || b * ROWS > height) return;
  const p = i420Planes(width, height);
  const cw = width >> 1;
  const s = seq >>> 0;
  const t = Math.round(timestampMs) >>> 0;
  const words = [s, t, ((SYNC << 16) | checksum(s, t)) >>> 0];
  // Neutral grey under the stripe: black/white blocks need no chroma, and the rest of the row
  // (past 32 blocks) is grey too so bars never bleed into the last block after compression.
  for (let y = 0; y < (b * ROWS) >> 1; y++) {
    data.fill(128, p.u + y * cw, p.u + (y + 1) * cw);
    data.fill(128, p.v + y * cw, p.v + (y + 1) * cw);
  }
  for (let r = 0; r < ROWS; r++) {
    const word = words[r]!;
    for (let y = r * b; y < (r + 1) * b; y++) data.fill(128, y * width, (y + 1) * width);
    for (let i = 0; i < BITS; i++) {
      const v = (word >>> (BITS - 1 - i)) & 1 ? 255 : 0;
      for (let y = r * b; y < (r + 1) * b; y++) data.fill(v, y * width + i * b, y * width + (i + 1) * b);
    }
  }
}

/** What {@link decodeStamp} reads back. */
export interface FrameStamp {
  seq: number;
  /** Milliseconds, rounded to an integer, modulo 2^32. */
  timestampMs: number;
}

/**
 * Reads the seq and timestamp stamped by {@link testPatternFrame}, sampling the centre of each
 * block. Returns null when the frame is too small or the stripe does not check out (not a test
 * pattern, or damaged beyond repair).
 */
export function decodeStamp(frame: VideoFrame): FrameStamp | null {
  const { width, height, data } = frame;
  const b = stampBlockSize(width);
  if (!b || b * ROWS > height || data.length < width * height) return null;
  const lo = b >> 2;
  const hi = Math.max(lo + 1, (3 * b) >> 2);
  const words: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    let word = 0;
    for (let i = 0; i < BITS; i++) {
      let sum = 0;
      let n = 0;
      for (let y = r * b + lo; y < r * b + hi; y++) {
        for (let x = i * b + lo; x < i * b + hi; x++) {
          sum += data[y * width + x]!;
          n++;
        }
      }
      word = ((word << 1) | (sum / n >= 128 ? 1 : 0)) >>> 0;
    }
    words.push(word);
  }
  const [seq, ts, check] = words as [number, number, number];
  if (check >>> 16 !== SYNC || (check & 0xffff) !== checksum(seq, ts)) return null;
  return { seq, timestampMs: ts };
}
