import { z } from 'zod';
import { defineNode, port } from '../core/define';

/** VACE: reference-image and frame conditioning for a VACE-capable pipeline. */
export const vaceNode = defineNode({
  type: 'vace',
  version: 1,
  displayName: 'VACE',
  category: 'control',
  description:
    'Conditions a VACE-capable pipeline with reference images, first/last frame images and the input video.',
  inputs: [],
  outputs: [port('vace', 'vace', false, 'VACE conditioning for a Pipeline.')],
  params: z.object({
    ref_images: z.array(z.string().max(1024)).max(8).default([]),
    context_scale: z.number().min(0).max(2).default(1),
    use_input_video: z.boolean().default(true),
    first_frame_image: z.string().max(1024).default(''),
    last_frame_image: z.string().max(1024).default(''),
  }),
  paramMeta: {
    ref_images: {
      mark: 'live',
      label: 'Reference images',
      description: 'Images from assets.',
      widget: 'asset-list',
      assetType: 'image',
      key: true,
    },
    context_scale: {
      mark: 'live',
      label: 'Context scale',
      description: 'How strongly VACE conditions (0–2).',
      widget: 'slider',
      step: 0.05,
      key: true,
    },
    use_input_video: {
      mark: 'live',
      label: 'Use input video',
      description: 'Condition on the pipeline input video.',
      widget: 'toggle',
    },
    first_frame_image: {
      mark: 'live',
      label: 'First frame',
      description: 'Image for the first frame.',
      widget: 'asset',
      assetType: 'image',
    },
    last_frame_image: {
      mark: 'live',
      label: 'Last frame',
      description: 'Image for the last frame.',
      widget: 'asset',
      assetType: 'image',
    },
  },
  migrations: [],
  requires: () => [],
  scope: { wireType: 'node' },
  continuous: false,
});
