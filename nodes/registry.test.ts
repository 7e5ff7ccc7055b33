import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineNode, port } from './core/define';
import { describeNodes, describePipelines, paramsJsonSchema } from './core/describe';
import { PORT_TYPES } from './core/types';
import { PIPELINES } from './pipeline/catalog';
import { pipelineNode } from './pipeline/definition';
import { builtinNodes, createRegistry, registry } from './registry';

describe('node registry', () => {
  it('lists every built-in node type once, by its stable id', () => {
    expect(registry.list().map((d) => d.type)).toEqual([
      'camera',
      'spout',
      'ndi',
      'pipeline',
      'prompt-timeline',
      'vace',
      'output',
      'record',
    ]);
    for (const [key, def] of Object.entries(builtinNodes)) expect(def.type).toBe(key);
  });

  it('refuses duplicate type ids', () => {
    expect(() => createRegistry([pipelineNode, pipelineNode])).toThrow(/duplicate node type "pipeline"/);
  });

  for (const def of registry.list()) {
    describe(def.type, () => {
      it('has defaults for every param and meta for exactly the schema keys', () => {
        const defaults = def.params.parse({});
        expect(Object.keys(defaults).sort()).toEqual(Object.keys(def.paramMeta).sort());
      });
      it('uses only known port types', () => {
        for (const p of [...def.inputs, ...def.outputs]) expect(PORT_TYPES).toContain(p.type);
      });
      it('derives a JSON Schema whose properties carry a ui mark', () => {
        const schema = paramsJsonSchema(def) as { properties: Record<string, { ui: { mark: string } }> };
        for (const name of Object.keys(def.paramMeta)) {
          expect(schema.properties[name]?.ui.mark).toMatch(/^(live|load)$/);
        }
      });
      it('has a README', async () => {
        const { existsSync } = await import('node:fs');
        const folder = def.type === 'prompt-timeline' ? 'prompt-timeline' : def.type;
        expect(existsSync(new URL(`./${folder}/README.md`, import.meta.url))).toBe(true);
      });
    });
  }

  it("derives Scope's nodes/definitions shape", () => {
    const { nodes } = describeNodes(registry.list());
    const pipeline = nodes.find((n) => n.node_type_id === 'pipeline')!;
    expect(pipeline.inputs.map((p) => p.name)).toEqual([
      'video',
      'prompts',
      'vace',
      'vace_input_frames',
      'vace_input_masks',
    ]);
    expect(pipeline.inputs[0]).toMatchObject({ port_type: 'video', required: false });
    const seed = pipeline.params.find((p) => p.name === 'seed')!;
    expect(seed).toMatchObject({ param_type: 'number', default: 42, ui: { is_load_param: true } });
    const strength = pipeline.params.find((p) => p.name === 'strength')!;
    expect(strength.ui.is_load_param).toBe(false);
  });

  it("derives Scope's pipelines/schemas shape with per-pipeline default sizes", () => {
    const { pipelines } = describePipelines(pipelineNode, PIPELINES, (i) =>
      i.kind === 'gpu' ? { available: false, reason: 'needs a CUDA GPU' } : { available: true },
    );
    expect(Object.keys(pipelines)).toContain('streamdiffusionv2');
    const memflow = pipelines.memflow!;
    expect(memflow.supported_modes).toEqual(['text']);
    expect(memflow.available).toBe(false);
    expect(memflow.unavailable_reason).toBe('needs a CUDA GPU');
    type Props = Record<string, { default: unknown; ui?: { is_load_param: boolean; label?: string } }>;
    const props = memflow.config_schema.properties as Props;
    expect(props.height!.default).toBe(320);
    expect(props.backend!.ui!.is_load_param).toBe(true);
    expect(props.noise_scale!.ui!.label).toBe('Noise scale');
    expect(props.pipeline_id).toBeUndefined();
    expect(pipelines.gray!.available).toBe(true);
    // Each pipeline lists only what it reads: no diffusion fields for passthrough or edges.
    const keys = (id: string) => Object.keys(pipelines[id]!.config_schema.properties as Props);
    expect(keys('passthrough')).toEqual([
      'backend',
      'remote_url',
      'remote_fallback',
      'device',
      'height',
      'width',
    ]);
    expect(keys('edges')).toContain('strength');
    expect(keys('edges')).not.toContain('noise_scale');
    expect(keys('longlive')).toEqual(
      expect.arrayContaining(['noise_scale', 'denoising_step_list', 'manage_cache']),
    );
    expect(keys('longlive')).not.toContain('strength');
  });
});

describe('defineNode', () => {
  const base = {
    type: 'x-node',
    version: 1,
    displayName: 'X',
    category: 'pipeline' as const,
    description: 'x',
    inputs: [port('video', 'video', true, 'in')],
    outputs: [port('video', 'video', false, 'out')],
    params: z.object({ a: z.number().default(1) }),
    paramMeta: { a: { mark: 'live' as const, label: 'A', description: 'a' } },
    migrations: [],
    requires: () => [],
    scope: { wireType: 'node' as const },
    continuous: false,
  };

  it('accepts a well-formed definition', () => {
    expect(defineNode(base).type).toBe('x-node');
  });
  it('refuses a non-kebab type id', () => {
    expect(() => defineNode({ ...base, type: 'X Node' })).toThrow(/kebab-case/);
  });
  it('refuses a param without a default', () => {
    expect(() =>
      defineNode({ ...base, params: z.object({ a: z.number() }), paramMeta: base.paramMeta }),
    ).toThrow(/needs a default/);
  });
  it('refuses a version without the migrations that lead to it', () => {
    expect(() =>
      defineNode({ ...base, version: 3, migrations: [{ from: 1, name: 'a', up: (p) => p }] }),
    ).toThrow(/missing migration from version 2/);
  });
  it('refuses duplicate ports', () => {
    expect(() => defineNode({ ...base, inputs: [base.inputs[0]!, base.inputs[0]!] })).toThrow(
      /duplicate port in:video/,
    );
  });
});
