import { z } from 'zod';
import { defineNode, port } from '../core/define';

/** Camera: the browser's camera (a WebRTC track), the runtime's test pattern, or a looping video file. */
export const cameraNode = defineNode({
  type: 'camera',
  version: 1,
  displayName: 'Camera',
  category: 'source',
  description:
    'A video source: the browser camera sent over WebRTC, a moving test pattern made in the runtime, or a looping video file from assets.',
  inputs: [],
  outputs: [port('video', 'video', false, 'Frames from the source.')],
  params: z.object({
    source_mode: z.enum(['camera', 'test_pattern', 'video_file']).default('camera'),
    device: z.string().max(256).default(''),
    video_file: z.string().max(1024).default(''),
    width: z.number().int().min(16).max(4096).multipleOf(2).default(512),
    height: z.number().int().min(16).max(4096).multipleOf(2).default(512),
    fps: z.number().min(1).max(120).default(30),
    speed: z.number().min(0.05).max(8).default(1),
    position: z.number().min(0).max(86_400).default(0),
  }),
  paramMeta: {
    source_mode: {
      mark: 'load',
      label: 'Source',
      description: 'Where frames come from.',
      widget: 'select',
      key: true,
    },
    device: {
      mark: 'load',
      label: 'Device',
      description: 'Browser camera device id (empty: the default camera).',
      visibleWhen: { param: 'source_mode', equals: 'camera' },
    },
    video_file: {
      mark: 'load',
      label: 'Video file',
      description:
        'A video file from assets (MP4, MOV, MKV, WebM, IVF; H.264, HEVC, ProRes, HAP, VP8/VP9, AV1 …), looped at its own frame rate.',
      widget: 'asset',
      assetType: 'video',
      visibleWhen: { param: 'source_mode', equals: 'video_file' },
    },
    width: {
      mark: 'load',
      label: 'Width',
      description: 'Frame width in pixels (even).',
      widget: 'number',
      key: true,
    },
    height: {
      mark: 'load',
      label: 'Height',
      description: 'Frame height in pixels (even).',
      widget: 'number',
      key: true,
    },
    fps: {
      mark: 'live',
      label: 'FPS',
      description: 'Frames per second (test pattern and camera request).',
      widget: 'number',
    },
    speed: {
      mark: 'live',
      label: 'Speed',
      description: 'Playback speed of the video file (0.05–8×; forward only).',
      widget: 'slider',
      step: 0.05,
      visibleWhen: { param: 'source_mode', equals: 'video_file' },
    },
    position: {
      mark: 'live',
      label: 'Position',
      description: 'Seconds into the video file; setting it jumps there (a cue), and play continues.',
      widget: 'number',
      visibleWhen: { param: 'source_mode', equals: 'video_file' },
    },
  },
  migrations: [],
  requires: (p) =>
    p.source_mode === 'camera'
      ? [
          {
            capability: 'camera',
            param: 'source_mode',
            why: 'reads a camera track from the browser',
            whenMissing: 'degrade',
          },
        ]
      : [],
  headless: (raw, { fps }) => {
    const params = { ...raw };
    const substituted = (params.source_mode ?? 'camera') === 'camera';
    if (substituted) params.source_mode = 'test_pattern';
    if (fps !== null) params.fps = fps;
    return { params, substituted };
  },
  media: (p) => (p.source_mode === 'camera' ? { inputTrack: true } : {}),
  scope: { wireType: 'source' },
  continuous: true,
});
