import { z } from 'zod';
import { defineNode, port } from '../core/define';

const video = port('video', 'video', true, 'Frames to send.');
const videoOut = port('video', 'video', false, 'Frames received from the Spout sender.');

/** Spout (Windows): receive another app's GPU texture, or send ours. */
export const spoutNode = defineNode({
  type: 'spout',
  version: 1,
  displayName: 'Spout',
  category: 'source',
  description: 'Shares video with other Windows apps (Resolume, TouchDesigner, OBS) through Spout.',
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
      description: 'Receive from a sender, or send.',
      widget: 'select',
      key: true,
    },
    name: {
      mark: 'load',
      label: 'Name',
      description: 'Sender name to receive from, or to publish as.',
      key: true,
    },
  },
  migrations: [],
  ports: (p) =>
    p.direction === 'receive' ? { inputs: [], outputs: [videoOut] } : { inputs: [video], outputs: [] },
  requires: () => [
    { capability: 'spout', param: 'direction', why: 'uses the Spout library', whenMissing: 'error' },
  ],
  scope: { wireType: 'source' },
  continuous: true,
});
