import { z } from 'zod';
import { defineNode, port } from '../core/define';
import type { CapabilityRequirement } from '../core/types';

const sink = z.object({ enabled: z.boolean().default(false), name: z.string().max(256).default('Patchbay') });

/** Output: a WebRTC preview track to the editor/client, optional NDI/Spout sinks and recording. */
export const outputNode = defineNode({
  type: 'output',
  version: 1,
  displayName: 'Output',
  category: 'sink',
  description:
    'Shows frames in the editor (a WebRTC track), and can also send them to NDI or Spout and record them.',
  inputs: [port('video', 'video', true, 'Frames to show.')],
  outputs: [],
  params: z.object({
    name: z.string().min(1).max(128).default('main'),
    preview: z.boolean().default(true),
    sinks: z
      .object({
        ndi: sink.default({ enabled: false, name: 'Patchbay' }),
        spout: sink.default({ enabled: false, name: 'Patchbay' }),
      })
      .default({ ndi: { enabled: false, name: 'Patchbay' }, spout: { enabled: false, name: 'Patchbay' } }),
    record: z.boolean().default(false),
  }),
  paramMeta: {
    name: {
      mark: 'live',
      label: 'Name',
      description: 'Shown in the preview and used for recordings.',
      key: true,
    },
    preview: {
      mark: 'load',
      label: 'Preview',
      description: 'Send this output to the editor over WebRTC.',
      widget: 'toggle',
    },
    sinks: {
      mark: 'load',
      label: 'Sinks',
      description: 'Also send to NDI or Spout.',
      widget: 'sinks',
      key: true,
    },
    record: {
      mark: 'live',
      label: 'Record',
      description: 'Record this output to a WebM file.',
      widget: 'toggle',
      key: true,
    },
  },
  migrations: [],
  requires: (p) => {
    const reqs: CapabilityRequirement[] = [];
    if (p.sinks.ndi.enabled)
      reqs.push({
        capability: 'ndi',
        param: 'sinks.ndi.enabled',
        why: 'sends to NDI',
        whenMissing: 'degrade',
      });
    if (p.sinks.spout.enabled)
      reqs.push({
        capability: 'spout',
        param: 'sinks.spout.enabled',
        why: 'sends to Spout',
        whenMissing: 'degrade',
      });
    return reqs;
  },
  media: (p) => ({
    ...(p.preview ? { outputTrack: { name: p.name } } : {}),
    sinks: [
      ...(['ndi', 'spout'] as const)
        .filter((kind) => p.sinks[kind].enabled)
        .map((kind) => ({ kind, name: p.sinks[kind].name, capability: kind })),
      ...(p.record ? [{ kind: 'record' as const, name: p.name }] : []),
    ],
  }),
  scope: { wireType: 'sink' },
  continuous: false,
});
