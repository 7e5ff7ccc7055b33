import type { PipelineInfo, VideoFrame, WeightedPrompt } from '../../nodes';

/**
 * The contract between the frame-processor workers (runtime/engine) and pipeline backends
 * (runtime/pipelines: built-in JS, ONNX, remote). A processor is created once per Pipeline node
 * (when it loads), gets live param updates, and processes one frame at a time.
 */

/** Prompt conditioning as delivered to a pipeline (Scope's data-channel keys). */
export type PromptControl =
  | { kind: 'prompts'; prompts: WeightedPrompt[]; interpolation: 'linear' | 'slerp' }
  | {
      kind: 'transition';
      target_prompts: WeightedPrompt[];
      num_steps: number;
      temporal_interpolation_method: 'linear' | 'slerp';
    };

/** VACE conditioning from a VACE node: delivered fresh with every frame, never carried over. */
export interface VaceControl {
  ref_images: string[];
  context_scale: number;
  use_input_video: boolean;
  first_frame_image: string;
  last_frame_image: string;
}

/** What arrives with one frame besides the video input. */
export interface FrameExtras {
  /** The latest prompts, if a prompt edge or data-channel message set them. */
  prompts?: PromptControl;
  vace?: VaceControl;
  vaceInputFrame?: VideoFrame;
  vaceInputMask?: VideoFrame;
}

export interface ProcessorContext {
  nodeId: string;
  pipeline: PipelineInfo;
  /** Validated Pipeline node params (defaults applied). */
  params: Record<string, unknown>;
  /** Where built-in models are generated/cached and user models live. */
  modelsDir: string;
  /** Milliseconds on the runtime clock (injected; fixed-step in deterministic playback). */
  now: () => number;
  log: (message: string) => void;
  /** Tells the node's badge something the user should see (e.g. "CUDA missing, running on CPU"). */
  notice: (message: string) => void;
}

export interface FrameProcessor {
  /** Processes one frame. The output may reuse the input's buffer only if `inPlace` is true. */
  process(input: VideoFrame, extras: FrameExtras): VideoFrame | Promise<VideoFrame>;
  /** Live param changes (only `live` params; `load` params restart the processor). */
  update(params: Record<string, unknown>): void;
  /** Features of the input this processor ignores (e.g. "vace"), shown on the node. */
  readonly ignores: readonly ('prompts' | 'vace')[];
  /** Frees models and buffers. */
  dispose(): Promise<void> | void;
  readonly inPlace: boolean;
  /** Which execution provider ran it (e.g. "cpu", "cuda", "js"). */
  readonly device: string;
}

/** Creates the processor for a pipeline (may load a model: async). */
export type ProcessorFactory = (ctx: ProcessorContext) => Promise<FrameProcessor>;
