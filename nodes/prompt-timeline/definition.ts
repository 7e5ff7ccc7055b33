import { z } from 'zod';
import { defineNode, port } from '../core/define';

export const weightedPrompt = z.object({
  text: z.string().max(4000),
  weight: z.number().min(0).max(1).default(1),
});

export const timelineEntry = z
  .object({
    start_time: z.number().min(0),
    end_time: z.number().min(0),
    prompts: z.array(weightedPrompt).min(1).max(16),
    transition_steps: z.number().int().min(0).max(100).default(0),
    temporal_interpolation_method: z.enum(['linear', 'slerp']).default('linear'),
  })
  .refine((e) => e.end_time > e.start_time, {
    message: 'end_time must be after start_time',
    path: ['end_time'],
  });

export type WeightedPrompt = z.infer<typeof weightedPrompt>;
export type TimelineEntry = z.infer<typeof timelineEntry>;

/** Prompt-timeline: sends prompts (or transitions) to the pipelines it feeds, on the runtime clock. */
export const promptTimelineNode = defineNode({
  type: 'prompt-timeline',
  version: 1,
  displayName: 'Prompt timeline',
  category: 'control',
  description:
    'A track of timed prompts. At each entry boundary it sends the prompts (or a transition when transition_steps > 0) to the pipelines it feeds.',
  inputs: [],
  outputs: [port('prompts', 'prompts', false, 'The current prompts.')],
  params: z.object({
    entries: z
      .array(timelineEntry)
      .max(1000)
      .default([
        {
          start_time: 0,
          end_time: 10,
          prompts: [{ text: 'a neon city at night', weight: 1 }],
          transition_steps: 0,
          temporal_interpolation_method: 'linear',
        },
      ]),
    loop: z.boolean().default(true),
  }),
  paramMeta: {
    entries: {
      mark: 'live',
      label: 'Entries',
      description: 'Timed prompt entries (seconds).',
      widget: 'timeline',
      key: true,
    },
    loop: {
      mark: 'live',
      label: 'Loop',
      description: 'Start again after the last entry.',
      widget: 'toggle',
      key: true,
    },
  },
  migrations: [],
  requires: () => [],
  scope: { wireType: 'node' },
  continuous: true,
});
