import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a recording holds, read back from the file written. */
export interface Recording {
  path: string;
  /** Duration written in the file's header (last frame + one frame interval), ms. */
  durationMs: number;
  frames: number;
  keyframes: number;
  width: number;
  height: number;
  bytes: number;
}

/**
 * Rewrites a MediaRecorder WebM (no Duration, no Cues: Chromium shows its duration as Infinity)
 * as a seekable WebM with the duration in its header, without re-encoding: the VP8 frames are
 * copied with their times (the first at 0) by FFmpeg's demuxer and muxer (runtime/io, node-av).
 */
export async function finishRecording(bytes: Uint8Array, path: string): Promise<Recording> {
  // Loaded on first use: runtime/io brings the codec stack, which a test that never records need not load.
  const { remuxVideo } = await import('../io');
  mkdirSync(dirname(path), { recursive: true });
  const src = `${path}.browser.webm`;
  writeFileSync(src, bytes);
  try {
    const summary = remuxVideo(src, path, 'webm');
    if (!summary.frames) throw new Error('the browser recording holds no video frames');
    return summary;
  } finally {
    rmSync(src, { force: true });
  }
}

/** An image decoded to RGBA (tightly packed). */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes a PNG or JPEG (a frame from `/api/v1/session/frame`) to RGBA with FFmpeg's decoders,
 * and reads the `.patch` a Patchbay PNG carries (null when none).
 */
export async function decodeFrameImage(bytes: Uint8Array): Promise<DecodedImage & { patch: string | null }> {
  const { decodeImage, patchFromPng } = await import('../io');
  const img = decodeImage(bytes, 'the frame');
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  return { ...img, patch: isPng ? patchFromPng(bytes) : null };
}
