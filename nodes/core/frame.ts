/**
 * Video frames as the runtime moves them: planar I420 (YUV 4:2:0, BT.601, full 8-bit planes),
 * which is what the VP8 codec reads and writes, so a passthrough never converts colour.
 * Processors that need RGB convert with ./pixels.ts.
 */
export interface VideoFrame {
  /** Luma width and height in pixels; both even. */
  width: number;
  height: number;
  /** Y plane (width*height) followed by U and V planes ((width/2)*(height/2) each). */
  data: Uint8Array;
  /** Presentation time on the runtime clock, in milliseconds. */
  timestampMs: number;
  /** Monotonic per-source frame number (stamped at the source, read for latency). */
  seq: number;
}

/** Bytes an I420 frame of this size occupies. */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * ((width >> 1) * (height >> 1));
}

/** Offsets of the three planes inside an I420 buffer. */
export function i420Planes(
  width: number,
  height: number,
): { y: number; u: number; v: number; chroma: number } {
  const luma = width * height;
  const chroma = (width >> 1) * (height >> 1);
  return { y: 0, u: luma, v: luma + chroma, chroma };
}

/** A new black I420 frame (Y=16 would be video-range black; we use full range, so Y=0, U=V=128). */
export function blackFrame(width: number, height: number, timestampMs = 0, seq = 0): VideoFrame {
  const data = new Uint8Array(i420Size(width, height));
  const p = i420Planes(width, height);
  data.fill(128, p.u);
  return { width, height, data, timestampMs, seq };
}
