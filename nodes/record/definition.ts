import { z } from 'zod';
import { defineNode, port } from '../core/define';

/** Record: writes its input to WebM (VP8) files in the recordings folder. */
export const recordNode = defineNode({
  type: 'record',
  version: 1,
  displayName: 'Record',
  category: 'sink',
  description: 'Records its input to a WebM (VP8) file while `recording` is on.',
  inputs: [port('video', 'video', true, 'Frames to record.')],
  outputs: [],
  params: z.object({
    recording: z.boolean().default(true),
    filename: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9._ -]*$/, 'letters, digits, space, dot, dash and underscore only')
      .default('patchbay'),
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
  },
  migrations: [],
  requires: () => [],
  media: (p) => ({ sinks: [{ kind: 'record', name: p.filename }] }),
  scope: { wireType: 'record' },
  continuous: false,
});
