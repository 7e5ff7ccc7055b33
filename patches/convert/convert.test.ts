import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchErrors } from '../format/issues';
import { parsePatch } from '../format/parse';
import type { Patch } from '../format/types';
import { detectImportKind, importDocument } from './detect';
import { layoutLeftToRight } from './layout';
import { patchToScopeGraph, scopeGraphToPatch, type ScopeGraph } from './scope-graph';
import { camelToSnake, importScopeTimeline } from './scope-timeline';
import { importScopeWorkflow } from './scope-workflow';

const patches = join(import.meta.dirname, '..');
const scopeDir = join(patches, 'fixtures', 'scope');
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const examples = readdirSync(join(patches, 'examples')).map((f) => {
  const r = parsePatch(readFileSync(join(patches, 'examples', f), 'utf8'));
  if (!r.ok) throw new Error(f);
  return [f, r.patch] as const;
});

function imported(file: string): Patch {
  const r = importDocument(readFileSync(join(scopeDir, file), 'utf8'), { appVersion: '0.1.0' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  expect(patchErrors(r.issues)).toEqual([]);
  expect(patchErrors(r.sourceIssues)).toEqual([]);
  return r.patch;
}

const wiring = (p: Patch) => p.edges.map((e) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`);
const node = (p: Patch, id: string) => p.nodes.find((n) => n.id === id)!;

/** Scope's own graph rules (SCOPE-COMPAT "Graph wire form"). */
function checkScopeRules(g: ScopeGraph): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const n of g.nodes) {
    if (ids.has(n.id)) problems.push(`duplicate ${n.id}`);
    ids.add(n.id);
    if (n.type === 'pipeline' && !n.pipeline_id) problems.push(`${n.id} has no pipeline_id`);
    if (n.type === 'node' && !n.node_type_id) problems.push(`${n.id} has no node_type_id`);
  }
  if (!g.nodes.some((n) => n.type === 'sink')) problems.push('no sink');
  const streamInputs = new Set<string>();
  for (const e of g.edges) {
    if (!ids.has(e.from) || !ids.has(e.to_node))
      problems.push(`edge ${e.from}->${e.to_node} names a missing node`);
    if (e.kind === 'stream') {
      const key = `${e.to_node}.${e.to_port}`;
      if (streamInputs.has(key)) problems.push(`two stream edges into ${key}`);
      streamInputs.add(key);
    }
  }
  return problems;
}

describe('Patchbay ⇄ Scope graph wire form', () => {
  it('maps node types and edge kinds as SCOPE-COMPAT describes', () => {
    const vace = examples.find(([f]) => f === 'vace.patch')![1];
    const g = patchToScopeGraph(vace);
    expect(
      g.nodes.map((n) => [n.id, n.type, n.source_mode ?? n.pipeline_id ?? n.node_type_id ?? null]),
    ).toEqual([
      ['camera', 'source', 'camera'],
      ['vace', 'node', 'vace'],
      ['timeline', 'node', 'prompt-timeline'],
      ['diffusion', 'pipeline', 'streamdiffusionv2'],
      ['output', 'sink', null],
    ]);
    expect(g.edges.map((e) => [e.from, e.from_port, e.to_node, e.to_port, e.kind])).toEqual([
      ['camera', 'video', 'diffusion', 'video', 'stream'],
      ['vace', 'vace', 'diffusion', 'vace', 'parameter'],
      ['timeline', 'prompts', 'diffusion', 'prompts', 'parameter'],
      ['diffusion', 'video', 'output', 'video', 'stream'],
    ]);
    const test = patchToScopeGraph(examples.find(([f]) => f === 'test-pattern-gray.patch')![1]);
    expect(test.nodes[0]).toMatchObject({ type: 'source', source_mode: 'test_pattern' });
  });

  it('maps Spout/NDI by direction, record nodes and unknown types', () => {
    const p: Patch = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: 'io', created_at: '', app_version: '0.1.0' },
      nodes: [
        {
          id: 'ndi-in',
          type: 'ndi',
          version: 1,
          position: { x: 0, y: 0 },
          params: { direction: 'receive', name: 'Cam A' },
        },
        {
          id: 'spout-out',
          type: 'spout',
          version: 1,
          position: { x: 0, y: 0 },
          params: { direction: 'send', name: 'Out' },
        },
        { id: 'rec', type: 'record', version: 1, position: { x: 0, y: 0 }, params: { filename: 'show' } },
        { id: 'lfo', type: 'lfo', version: 2, position: { x: 0, y: 0 }, params: { rate: 1 } },
      ],
      edges: [
        { id: 'a', from: { node: 'ndi-in', port: 'video' }, to: { node: 'spout-out', port: 'video' } },
        { id: 'b', from: { node: 'ndi-in', port: 'video' }, to: { node: 'rec', port: 'video' } },
      ],
    };
    const g = patchToScopeGraph(p);
    expect(g.nodes.map((n) => ({ ...n, params: undefined }))).toEqual([
      { id: 'ndi-in', type: 'source', source_mode: 'ndi', source_name: 'Cam A', params: undefined },
      { id: 'spout-out', type: 'sink', sink_mode: 'spout', sink_name: 'Out', params: undefined },
      { id: 'rec', type: 'record', params: undefined },
      { id: 'lfo', type: 'node', node_type_id: 'lfo', params: undefined },
    ]);
    const back = scopeGraphToPatch(g);
    if (!back.ok) throw new Error(JSON.stringify(back.issues));
    expect(back.patch.nodes.map((n) => [n.id, n.type, n.params])).toEqual(
      p.nodes.map((n) => [n.id, n.type, n.params]),
    );
  });

  for (const [file, patch] of examples) {
    it(`${file}: patch → wire → patch keeps nodes, params and edges, and obeys Scope's graph rules`, () => {
      const g = patchToScopeGraph(patch);
      expect(checkScopeRules(g)).toEqual([]);
      const back = scopeGraphToPatch(JSON.parse(JSON.stringify(g)));
      if (!back.ok) throw new Error(JSON.stringify(back.issues));
      expect(back.patch.nodes.map((n) => [n.id, n.type, n.version, n.params])).toEqual(
        patch.nodes.map((n) => [n.id, n.type, n.version, n.params]),
      );
      expect(back.patch.edges).toEqual(patch.edges);
      const r = parsePatch(back.patch);
      expect(r.ok && r.issues).toEqual([]);
    });
  }

  it("reads Scope's legacy {source, target} edges and fixes ids that do not fit", () => {
    const r = scopeGraphToPatch({
      nodes: [
        { id: 'in put', type: 'source' },
        { id: 'p/1', type: 'pipeline', pipeline_id: 'gray' },
        { id: 'out', type: 'sink' },
      ],
      edges: [
        { source: 'in put', target: 'p/1' },
        { source: 'p/1', target: 'out' },
      ],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.patch.nodes.map((n) => n.id)).toEqual(['in_put', 'p_1', 'out']);
    expect(wiring(r.patch)).toEqual(['in_put.video->p_1.video', 'p_1.video->out.video']);
    expect(r.patch.nodes.map((n) => n.position.x)).toEqual([0, 300, 600]);
  });

  it('reports what is wrong with a bad wire graph, with paths', () => {
    const bad = scopeGraphToPatch({
      nodes: [{ id: 'p', type: 'pipeline' }],
      edges: [{ from: 'p', to_node: 'ghost' }],
    });
    expect(bad.ok).toBe(false);
    expect(bad.issues.map((i) => `${i.code} ${i.pathText}`)).toEqual([
      'INVALID_FIELD nodes[0].pipeline_id',
      'UNKNOWN_EDGE_NODE edges[0].to_node',
    ]);
    const shape = scopeGraphToPatch({ nodes: 'x', edges: [] });
    expect(shape.issues.map((i) => i.pathText)).toEqual(['nodes']);
  });
});

describe('Scope workflow import', () => {
  it('builds camera → preprocessor → main pipeline → output with a timeline on the main pipeline', () => {
    const p = imported('streamdiffusion.scope-workflow.json');
    expect(p.metadata).toMatchObject({
      name: 'Neon dreams',
      created_at: '2026-02-14T20:15:00Z',
      app_version: '0.1.0',
    });
    expect(wiring(p)).toEqual([
      'camera.video->video-depth-anything.video',
      'video-depth-anything.video->streamdiffusionv2.video',
      'timeline.prompts->streamdiffusionv2.prompts',
      'streamdiffusionv2.video->output.video',
    ]);
    const sd = node(p, 'streamdiffusionv2');
    expect(sd.params).toEqual({
      pipeline_id: 'streamdiffusionv2',
      height: 512,
      width: 512,
      seed: 1234,
      noise_scale: 0.6,
      denoising_step_list: [1000, 750],
      manage_cache: true,
      prompt_interpolation_method: 'slerp',
      backend: 'remote',
    });
    expect(sd.scope_params).toEqual({ kv_cache_attention_bias: 0.3 });
    expect(sd.scope).toMatchObject({
      pipeline_version: '1.0.0',
      role: 'main',
      loras: [{ path: 'neon-style.safetensors', scale: 0.8 }],
    });
    const entries = node(p, 'timeline').params.entries as { transition_steps: number }[];
    expect(entries).toHaveLength(2);
    expect(entries[1]!.transition_steps).toBe(10);
  });

  it('skips a bad timeline entry with a warning that names it', () => {
    const r = importScopeWorkflow(readJson(join(scopeDir, 'streamdiffusion.scope-workflow.json')));
    expect(r.issues.map((i) => `${i.severity} ${i.pathText}`)).toEqual([
      'warning timeline.entries[2].end_time',
    ]);
  });

  it('leaves the camera out in text mode and turns top-level prompts into a timeline', () => {
    const p = imported('longlive-text.scope-workflow.json');
    expect(p.nodes.map((n) => n.type)).toEqual(['pipeline', 'prompt-timeline', 'output']);
    expect(wiring(p)).toEqual(['timeline.prompts->longlive.prompts', 'longlive.video->output.video']);
    expect((node(p, 'timeline').params.entries as { prompts: unknown }[])[0]!.prompts).toEqual([
      { text: 'a paper boat on a stream', weight: 1 },
    ]);
  });

  it('uses the workflow graph, its ui_state positions, and the pipelines list for params', () => {
    const p = imported('graph-vace.scope-workflow.json');
    expect(p.nodes.map((n) => [n.id, n.type])).toEqual([
      ['input', 'camera'],
      ['vace_ref', 'vace'],
      ['longlive', 'pipeline'],
      ['output', 'output'],
      ['ndi-out', 'ndi'],
      ['timeline', 'prompt-timeline'],
    ]);
    expect(node(p, 'longlive').params).toEqual({
      pipeline_id: 'longlive',
      height: 320,
      width: 576,
      backend: 'remote',
    });
    expect(node(p, 'longlive').scope_params).toEqual({ vace_context_scale: 1.2 });
    expect(node(p, 'ndi-out').params).toEqual({ direction: 'send', name: 'Scope NDI' });
    expect(node(p, 'input').position).toEqual({ x: 40, y: 120 });
    expect(wiring(p)).toContain('timeline.prompts->longlive.prompts');
    expect(wiring(p)).toContain('longlive.video->ndi-out.video');
  });

  it('reports a workflow without pipelines or graph', () => {
    const r = importScopeWorkflow({ format: 'scope-workflow', format_version: '1.0', pipelines: [] });
    expect(r.ok).toBe(false);
    expect(r.issues[0]!.pathText).toBe('pipelines');
    const shape = importScopeWorkflow({
      format: 'scope-workflow',
      format_version: '1.0',
      pipelines: [{ params: {} }],
    });
    expect(shape.issues.map((i) => i.pathText)).toEqual(['pipelines[0].pipeline_id']);
  });
});

describe('Scope legacy timeline (v2.1) import', () => {
  it('scales weights from 0–100 to 0–1, renames camelCase fields and maps settings to Pipeline params', () => {
    const p = imported('timeline-v2.1.json');
    expect(p.metadata).toMatchObject({
      name: 'Imported Scope timeline',
      created_at: '2025-11-03T21:04:00.000Z',
    });
    expect(wiring(p)).toEqual([
      'camera.video->streamdiffusionv2.video',
      'timeline.prompts->streamdiffusionv2.prompts',
      'streamdiffusionv2.video->output.video',
    ]);
    const sd = node(p, 'streamdiffusionv2');
    expect(sd.params).toEqual({
      pipeline_id: 'streamdiffusionv2',
      width: 512,
      height: 512,
      seed: 99,
      denoising_step_list: [700, 500],
      noise_scale: 0.55,
      manage_cache: false,
      noise_controller: true,
      backend: 'remote',
    });
    expect(sd.scope_params).toEqual({ paused: false });
    expect(node(p, 'timeline').params.entries).toEqual([
      {
        start_time: 0,
        end_time: 5,
        prompts: [{ text: 'a koi pond', weight: 1 }],
        transition_steps: 0,
        temporal_interpolation_method: 'linear',
      },
      {
        start_time: 5,
        end_time: 10,
        prompts: [
          { text: 'a koi pond', weight: 0.25 },
          { text: 'autumn leaves', weight: 0.75 },
        ],
        transition_steps: 12,
        temporal_interpolation_method: 'slerp',
      },
      {
        start_time: 10,
        end_time: 15,
        prompts: [{ text: 'falling snow', weight: 1 }],
        transition_steps: 0,
        temporal_interpolation_method: 'linear',
      },
    ]);
  });

  it('has no Camera for inputMode "text"', () => {
    const p = imported('timeline-text-v2.1.json');
    expect(p.nodes.map((n) => n.type)).toEqual(['pipeline', 'prompt-timeline', 'output']);
    expect(node(p, 'memflow').params).toMatchObject({ width: 576, height: 320, seed: 3 });
  });

  it('reports bad entries and settings with paths into the source file', () => {
    const r = importScopeTimeline({
      version: '2.1',
      prompts: [{ startTime: 0, endTime: 4, prompts: [{ text: 'x', weight: 250 }] }],
      settings: { pipelineId: 'gray', denoisingSteps: 4 },
    });
    expect(r.issues.map((i) => `${i.severity} ${i.pathText}`)).toEqual([
      'warning settings.denoisingSteps',
      'warning prompts[0].prompts[0].weight',
    ]);
    expect(importScopeTimeline({ version: '2.1', prompts: 'x' }).issues[0]!.pathText).toBe('prompts');
    expect(camelToSnake('denoisingStepList')).toBe('denoising_step_list');
  });
});

describe('detecting what a file is', () => {
  it('tells the kinds apart', () => {
    const kind = (f: string) => detectImportKind(readJson(join(scopeDir, f)))?.kind;
    expect(kind('streamdiffusion.scope-workflow.json')).toBe('scope-workflow');
    expect(kind('timeline-v2.1.json')).toBe('scope-timeline');
    expect(kind('graph-wire.json')).toBe('scope-graph');
    expect(detectImportKind(examples[0]![1])?.kind).toBe('patchbay');
    expect(detectImportKind({ hello: 1 })).toBeNull();
    expect(detectImportKind([1])).toBeNull();
  });

  it('imports a wire graph wrapped in initialParameters, keeping unknown pipelines for the compiler to report', () => {
    const p = imported('graph-wire.json');
    expect(p.nodes.map((n) => [n.id, n.type])).toEqual([
      ['input', 'camera'],
      ['yolo_plugin', 'pipeline'],
      ['longlive', 'pipeline'],
      ['output', 'output'],
      ['rec', 'record'],
    ]);
    expect(wiring(p)).toContain('yolo_plugin.video->longlive.vace_input_frames');
  });

  it('refuses unknown and unsafe documents with a clear issue', () => {
    expect(importDocument('{"hello": 1}').issues[0]!.message).toMatch(/not a file Patchbay can import/);
    expect(importDocument('{"graph": ' + '['.repeat(5000) + ']'.repeat(5000) + '}').issues[0]!.code).toBe(
      'TOO_DEEP',
    );
    expect(importDocument('{"format":"scope-workflow","__proto__":{}}').issues[0]!.code).toBe(
      'FORBIDDEN_KEY',
    );
  });
});

describe('layoutLeftToRight', () => {
  it('puts sources left, sinks right, feeders next to what they feed, and survives cycles', () => {
    const e = (a: string, b: string) => ({ from: { node: a }, to: { node: b } });
    const pos = layoutLeftToRight(
      ['a', 'b', 'c', 'ctl', 'd'],
      [e('a', 'b'), e('b', 'c'), e('ctl', 'c'), e('a', 'c')],
    );
    expect([...pos.entries()]).toEqual([
      ['a', { x: 0, y: 0 }],
      ['b', { x: 300, y: 0 }],
      ['c', { x: 600, y: 0 }],
      ['ctl', { x: 300, y: 180 }],
      ['d', { x: 0, y: 180 }],
    ]);
    const cyc = layoutLeftToRight(['x', 'y'], [e('x', 'y'), e('y', 'x')]);
    expect(cyc.size).toBe(2);
  });
});
