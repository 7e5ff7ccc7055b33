import { i420Planes, i420Size, type VideoFrame } from '../core/frame';

/**
 * The built-in pipelines that need no model: `passthrough` and `gray`. Pure functions over
 * I420 frames; the runtime wraps them as frame processors inside its workers.
 */

/** Ids of the pipelines implemented here. */
export const BUILTIN_PIPELINE_IDS = ['passthrough', 'gray'] as const;
export type BuiltinPipelineId = (typeof BUILTIN_PIPELINE_IDS)[number];

/** True when `id` is a built-in pipeline this module runs. */
export function isBuiltinPipeline(id: string): id is BuiltinPipelineId {
  return (BUILTIN_PIPELINE_IDS as readonly string[]).includes(id);
}

/** Passthrough: the same frame, untouched (one frame in, one frame out, no copy). */
export function passthroughFrame(input: VideoFrame): VideoFrame {
  return input;
}

/**
 * Gray: BT.601 luma. On I420 the luma plane already is Y = 0.299R + 0.587G + 0.114B, so the
 * result keeps Y and sets both chroma planes to 128 (no colour). Writes into `out` when given
 * (it may be the input's own buffer for an in-place run).
 */
export function grayFrame(input: VideoFrame, out?: Uint8Array): VideoFrame {
  const { width, height } = input;
  const size = i420Size(width, height);
  if (input.data.length < size) {
    throw new RangeError(
      `gray: frame data has ${input.data.length} bytes, ${width}×${height} I420 needs ${size}`,
    );
  }
  const data = out ? out.subarray(0, size) : new Uint8Array(size);
  if (data.length < size)
    throw new RangeError(`gray: output buffer of ${data.length} bytes is smaller than ${size}`);
  const p = i420Planes(width, height);
  if (data.buffer !== input.data.buffer || data.byteOffset !== input.data.byteOffset) {
    data.set(input.data.subarray(0, p.u));
  }
  data.fill(128, p.u, size);
  return { width, height, data, timestampMs: input.timestampMs, seq: input.seq };
}

/** Runs built-in pipeline `id` on one frame. */
export function runBuiltin(id: BuiltinPipelineId, input: VideoFrame, out?: Uint8Array): VideoFrame {
  switch (id) {
    case 'passthrough':
      return passthroughFrame(input);
    case 'gray':
      return grayFrame(input, out);
  }
}
