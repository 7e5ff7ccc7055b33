import { z } from 'zod';
import { defineNode, port } from '../core/define';

const video = port('video', 'video', true, 'Frames to send over NDI.');
const videoOut = port('video', 'video', false, 'Frames received from the NDI source.');

/** NDI: receive a network video source, or publish one. */
export const ndiNode = defineNode({
  type: 'ndi',
  version: 1,
  displayName: 'NDI',
  category: 'source',
  description: 'Receives or sends video over the network with NDI (needs the NDI runtime library).',
  inputs: [video],
  outputs: [videoOut],
  params: z.object({
    direction: z.enum(['receive', 'send']).default('receive'),
    name: z.string().max(256).default('Patchbay'),
  }),
  paramMeta: {
    direction: {
      mark: 'load',
      label: 'Direction',
      description: 'Receive a source, or send.',
      widget: 'select',
      key: true,
    },
    name: {
      mark: 'load',
      label: 'Name',
      description: 'NDI source to receive, or the sender name.',
      key: true,
    },
  },
  migrations: [],
  ports: (p) =>
    p.direction === 'receive' ? { inputs: [], outputs: [videoOut] } : { inputs: [video], outputs: [] },
  requires: () => [
    { capability: 'ndi', param: 'direction', why: 'uses the NDI runtime library', whenMissing: 'error' },
  ],
  scope: { wireType: 'source' },
  continuous: true,
});
