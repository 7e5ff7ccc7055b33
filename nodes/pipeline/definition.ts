import { z } from 'zod';
import { defineNode, port } from '../core/define';
import type { CapabilityRequirement } from '../core/types';
import { findPipeline, isOnnxPath } from './catalog';

/** Pipeline: runs a video model (built-in, ONNX, or a Scope GPU pipeline through a remote backend). */
export const pipelineNode = defineNode({
  type: 'pipeline',
  version: 1,
  displayName: 'Pipeline',
  category: 'pipeline',
  description:
    'Runs a video pipeline on each frame: built-ins (passthrough, gray), ONNX effect models, your own ONNX model, or Scope GPU pipelines on a remote backend.',
  inputs: [
    port('video', 'video', false, 'Input frames (video mode). Without it the pipeline runs in text mode.'),
    port('prompts', 'prompts', false, 'Prompts from a Prompt-timeline.'),
    port('vace', 'vace', false, 'VACE conditioning from a VACE node.'),
    port('vace_input_frames', 'video', false, 'Frames for VACE conditioning.'),
    port('vace_input_masks', 'video', false, 'Masks for VACE conditioning.'),
  ],
  outputs: [port('video', 'video', false, 'Processed frames.')],
  params: z.object({
    pipeline_id: z.string().min(1).max(1024).default('passthrough'),
    backend: z.enum(['local', 'remote']).default('local'),
    remote_url: z.string().max(2048).default(''),
    remote_fallback: z.enum(['hold', 'passthrough']).default('hold'),
    device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
    height: z.number().int().min(16).max(4096).multipleOf(2).default(512),
    width: z.number().int().min(16).max(4096).multipleOf(2).default(512),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    strength: z.number().min(0).max(1).default(0.5),
    noise_scale: z.number().min(0).max(1).default(0.7),
    noise_controller: z.boolean().default(true),
    denoising_step_list: z.array(z.number().int().min(0).max(1000)).max(16).default([1000, 750, 500, 250]),
    manage_cache: z.boolean().default(true),
    prompt_interpolation_method: z.enum(['linear', 'slerp']).default('linear'),
  }),
  paramMeta: {
    pipeline_id: {
      mark: 'load',
      label: 'Pipeline',
      description: 'Which pipeline or model runs.',
      widget: 'select',
      key: true,
    },
    backend: {
      mark: 'load',
      label: 'Backend',
      description: 'local: this machine. remote: a cloud runtime or a Scope server.',
      widget: 'select',
      key: true,
    },
    remote_url: {
      mark: 'load',
      label: 'Remote URL',
      description: 'A Scope-compatible server (http://host:port). Empty: the connected cloud relay.',
      visibleWhen: { param: 'backend', equals: 'remote' },
    },
    remote_fallback: {
      mark: 'live',
      label: 'While disconnected',
      description: 'Hold the last processed frame, or pass input through, while the remote is unreachable.',
      widget: 'select',
      visibleWhen: { param: 'backend', equals: 'remote' },
    },
    device: {
      mark: 'load',
      label: 'Device',
      description: 'auto uses CUDA when present, else CPU.',
      widget: 'select',
    },
    height: { mark: 'load', label: 'Height', description: 'Processing height.', widget: 'number' },
    width: { mark: 'load', label: 'Width', description: 'Processing width.', widget: 'number' },
    seed: {
      mark: 'load',
      label: 'Seed',
      description: 'Random seed (diffusion pipelines).',
      widget: 'number',
    },
    strength: {
      mark: 'live',
      label: 'Strength',
      description: 'Effect amount for built-in effect models.',
      widget: 'slider',
      step: 0.01,
      key: true,
    },
    noise_scale: {
      mark: 'live',
      label: 'Noise scale',
      description: 'How much noise is added (diffusion).',
      widget: 'slider',
      step: 0.01,
    },
    noise_controller: {
      mark: 'live',
      label: 'Noise controller',
      description: 'Adjust noise from motion automatically.',
      widget: 'toggle',
    },
    denoising_step_list: {
      mark: 'live',
      label: 'Denoising steps',
      description: 'Timesteps used per frame.',
      widget: 'json',
    },
    manage_cache: {
      mark: 'live',
      label: 'Manage cache',
      description: 'Reset the KV cache on large changes.',
      widget: 'toggle',
    },
    prompt_interpolation_method: {
      mark: 'live',
      label: 'Prompt blend',
      description: 'How weighted prompts are blended.',
      widget: 'select',
    },
  },
  migrations: [],
  requires: (p) => {
    const reqs: CapabilityRequirement[] = [];
    if (p.backend === 'remote') {
      if (!p.remote_url)
        reqs.push({
          capability: 'remote',
          param: 'backend',
          why: 'runs on the connected cloud relay',
          whenMissing: 'degrade',
        });
      return reqs;
    }
    const info = findPipeline(p.pipeline_id);
    if (info?.kind === 'gpu')
      reqs.push({
        capability: 'cuda',
        param: 'pipeline_id',
        why: `"${p.pipeline_id}" is a GPU pipeline; run it with backend "remote" on a machine without one`,
        whenMissing: 'error',
      });
    else if (p.device === 'cuda' && (info?.kind === 'onnx' || isOnnxPath(p.pipeline_id)))
      reqs.push({
        capability: 'cuda',
        param: 'device',
        why: 'device is set to cuda',
        whenMissing: 'degrade',
      });
    return reqs;
  },
  scope: { wireType: 'pipeline' },
  continuous: false,
});
