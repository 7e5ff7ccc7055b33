import { mkdirSync } from 'node:fs';
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
 * copied with their times (the first at 0) by the runtime's own reader and writer (runtime/io).
 */
export async function finishRecording(bytes: Uint8Array, path: string): Promise<Recording> {
  // Loaded on first use: runtime/io brings the codec stack, which a test that never records need not load.
  const { parseVideoFile, WebmWriter } = await import('../io');
  const parsed = parseVideoFile(bytes, 'the browser recording');
  if (!parsed.frames.length) throw new Error('the browser recording holds no video frames');
  mkdirSync(dirname(path), { recursive: true });
  const fps = parsed.frameDurationMs > 0 ? 1000 / parsed.frameDurationMs : 30;
  const writer = new WebmWriter(path, {
    width: parsed.width,
    height: parsed.height,
    fps,
    writingApp: 'patchbay/playwright',
  });
  const t0 = parsed.frames[0]!.ptsMs;
  // The first frame of a MediaRecorder file is a keyframe; a stream that starts elsewhere cannot be cut.
  for (const f of parsed.frames) writer.addFrame(f.data, f.ptsMs - t0, f.keyframe);
  const summary = writer.close();
  return {
    path: summary.path,
    durationMs: summary.durationMs,
    frames: summary.frames,
    keyframes: summary.keyframes,
    width: summary.width,
    height: summary.height,
    bytes: summary.bytes,
  };
}
