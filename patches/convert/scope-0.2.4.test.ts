/**
 * Workflow files in Scope 0.2.4's export format (fixtures written here from Scope's frontend
 * types, `frontend/src/lib/workflowApi.ts` and `workflowSettings.ts`): a Perform-mode export
 * with a timeline whose blend weights are on Scope's 0–100 slider scale, and a graph-mode
 * export with a Record fed from the sink and `ui_state.node_params.*.__prompt`. Then the
 * export of a patch as a Scope workflow, round-tripped through the importer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchErrors } from '../format/issues';
import type { Patch } from '../format/types';
import { importDocument } from './detect';
import { importScopeWorkflow, patchToScopeWorkflow } from './scope-workflow';

const dir = join(import.meta.dirname, '..', 'fixtures', 'scope');
const load = (file: string) => {
  const r = importDocument(readFileSync(join(dir, file), 'utf8'), { appVersion: '0.1.0' });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  expect(patchErrors(r.issues)).toEqual([]);
  return r;
};
const wiring = (p: Patch) =>
  p.edges.map((e) => `${e.from.node}.${e.from.port}->${e.to.node}.${e.to.port}`).sort();

describe('a Scope 0.2.4 Perform export with a timeline', () => {
  it('keeps every timeline entry, 0–100 weights read as 0–1', () => {
    const { patch, issues, sourceIssues } = load('perform-timeline-0.2.4.scope-workflow.json');
    expect([...issues, ...sourceIssues].filter((i) => /timeline entry skipped/.test(i.message))).toEqual([]);
    const tl = patch.nodes.find((n) => n.type === 'prompt-timeline')!;
    expect(tl.params.entries).toEqual([
      {
        start_time: 0,
        end_time: 4,
        prompts: [{ text: 'red', weight: 1 }],
        transition_steps: 0,
        temporal_interpolation_method: 'linear',
      },
      {
        start_time: 4,
        end_time: 8,
        prompts: [
          { text: 'red', weight: 0.3 },
          { text: 'blue', weight: 0.7 },
        ],
        transition_steps: 4,
        temporal_interpolation_method: 'slerp',
      },
      {
        start_time: 8,
        end_time: 12,
        prompts: [{ text: 'blue', weight: 1 }],
        transition_steps: 0,
        temporal_interpolation_method: 'linear',
      },
      {
        start_time: 12,
        end_time: 16,
        prompts: [
          { text: 'green', weight: 0.5 },
          { text: 'red', weight: 0.5 },
        ],
        transition_steps: 0,
        temporal_interpolation_method: 'linear',
      },
    ]);
    const tint = patch.nodes.find((n) => n.type === 'pipeline')!;
    expect(tint.params.pipeline_id).toBe('prompt-tint');
    expect(
      patch.edges.some((e) => e.from.node === tl.id && e.to.node === tint.id && e.to.port === 'prompts'),
    ).toBe(true);
  });
});

describe('a Scope 0.2.4 graph export', () => {
  it('accepts a Record fed from the sink (it records what feeds the sink) and keeps __prompt', () => {
    const { patch, sourceIssues } = load('graph-record-prompt-0.2.4.scope-workflow.json');
    expect(wiring(patch)).toEqual(
      [
        'input.video->tint.video',
        'tint.video->gray.video',
        'gray.video->output.video',
        'gray.video->record.video',
        'tint_prompt.prompts->tint.prompts',
      ].sort(),
    );
    const prompt = patch.nodes.find((n) => n.id === 'tint_prompt')!;
    expect(prompt.type).toBe('prompt-timeline');
    expect(prompt.params.entries).toEqual([
      { start_time: 0, end_time: 60, prompts: [{ text: 'a deep blue ocean', weight: 1 }] },
    ]);
    // gray takes no prompts: its text is kept, and the import says so.
    expect(patch.nodes.find((n) => n.id === 'gray')!.scope_params).toEqual({ __prompt: 'unused by gray' });
    expect(sourceIssues.some((i) => /gray.*takes no prompts/.test(i.message))).toBe(true);
    expect(patch.nodes.find((n) => n.id === 'record')!.position).toEqual({ x: 940, y: 400 });
  });
});

describe('export as a Scope workflow', () => {
  it('round-trips pipelines, wiring and every timeline entry through the importer', () => {
    const { patch } = load('perform-timeline-0.2.4.scope-workflow.json');
    const wf = patchToScopeWorkflow(patch, { createdAt: '2026-12-01T00:00:00.000Z' });
    expect(wf).toMatchObject({
      format: 'scope-workflow',
      format_version: '1.0',
      metadata: { name: patch.metadata.name, created_at: '2026-12-01T00:00:00.000Z', scope_version: '0.2.4' },
      pipelines: [{ pipeline_id: 'prompt-tint', source: { type: 'builtin' }, loras: [] }],
    });
    const entries = (wf.timeline as { entries: { prompts: { weight: number }[] }[] }).entries;
    expect(entries).toHaveLength(4);
    expect(entries[1]!.prompts.map((p) => p.weight)).toEqual([30, 70]);
    // No Prompt-timeline in Scope's graph: Scope has no such node.
    const graph = wf.graph as { nodes: { type: string; node_type_id?: string }[] };
    expect(graph.nodes.some((n) => n.node_type_id === 'prompt-timeline')).toBe(false);

    const again = importScopeWorkflow(JSON.parse(JSON.stringify(wf)), { appVersion: '0.1.0' });
    if (!again.ok) throw new Error(JSON.stringify(again.issues));
    expect(patchErrors(again.issues)).toEqual([]);
    const tl = (p: Patch) => p.nodes.find((n) => n.type === 'prompt-timeline')!.params.entries;
    expect(tl(again.patch)).toEqual(tl(patch));
    const shape = (p: Patch) =>
      p.nodes
        .filter((n) => n.type !== 'prompt-timeline')
        .map((n) => `${n.id}:${n.type}:${String(n.params.pipeline_id ?? '')}`)
        .sort();
    expect(shape(again.patch)).toEqual(shape(patch));
    expect(again.patch.edges.length).toBe(patch.edges.length);
  });
});
