import { z } from 'zod';
import { defineNode, port } from '../core/define';

/** Record: writes its input to WebM (VP8), MP4 (H.264) or MOV (ProRes) files in the recordings folder. */
export const recordNode = defineNode({
  type: 'record',
  version: 1,
  displayName: 'Record',
  category: 'sink',
  description:
    'Records its input while `recording` is on: WebM (VP8), MP4 (H.264, plays everywhere) or MOV (ProRes 422, for editing). Each file carries the patch that made it.',
  inputs: [port('video', 'video', true, 'Frames to record.')],
  outputs: [],
  params: z.object({
    recording: z.boolean().default(true),
    filename: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9._ -]*$/, 'letters, digits, space, dot, dash and underscore only')
      .default('patchbay'),
    format: z.enum(['webm', 'mp4', 'mov']).default('webm'),
  }),
  paramMeta: {
    recording: {
      mark: 'live',
      label: 'Recording',
      description: 'Start or stop writing.',
      widget: 'toggle',
      key: true,
    },
    filename: {
      mark: 'live',
      label: 'File name',
      description: 'Prefix of the file name (a timestamp is added).',
      key: true,
    },
    format: {
      mark: 'live',
      label: 'Format',
      description:
        'WebM/VP8 (small, browsers), MP4/H.264 (libx264, or NVENC when present: plays everywhere), MOV/ProRes 422 (video editors). Applies from the next file.',
      widget: 'select',
      key: true,
    },
  },
  migrations: [],
  requires: () => [],
  media: (p) => ({ sinks: [{ kind: 'record', name: p.filename }] }),
  scope: { wireType: 'record' },
  continuous: false,
});
