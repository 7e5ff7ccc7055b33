import { findPipeline, pipelineNode, timelineEntry, type TimelineEntry } from '../../nodes';
import { issue } from '../format/issues';
import type { PatchEdge, PatchIssue, PatchNode } from '../format/types';
import { layoutLeftToRight } from './layout';
import { makeIdAllocator } from './scope-graph';

/**
 * The shared builder behind the workflow and timeline importers: source → pipeline(s) → output,
 * with a Prompt-timeline on the prompt-taking pipeline and a VACE node where the Scope params
 * asked for VACE. Scope's pipeline params are snake_case names Patchbay's Pipeline node shares;
 * those it does not have are kept on the node as `scope_params` (an unknown field, so it
 * survives saving) rather than dropped or reported as unknown params.
 */

const VACE_KEYS: Record<string, string> = {
  vace_ref_images: 'ref_images',
  vace_context_scale: 'context_scale',
  vace_use_input_video: 'use_input_video',
  first_frame_image: 'first_frame_image',
  last_frame_image: 'last_frame_image',
};

export interface LinearPipeline {
  pipeline_id: string;
  params: Record<string, unknown>;
  /** Extra fields to keep on the node (e.g. Scope's pipeline_version, loras). */
  extra?: Record<string, unknown>;
  /** Where this pipeline's params came from in the source document, for issue paths. */
  path: (string | number)[];
}

export interface LinearSpec {
  /** `text`: no Camera; the pipeline generates from prompts alone. */
  inputMode: 'video' | 'text';
  pipelines: LinearPipeline[];
  entries?: TimelineEntry[];
  /** Whether the Prompt-timeline starts again after its last entry (default true). */
  loop?: boolean;
}

/**
 * Splits Scope pipeline params into Pipeline params, VACE params and the rest. With
 * `vace: false` (a graph that wires its own VACE node) the vace_* keys stay in the rest.
 */
export function splitScopeParams(
  params: Record<string, unknown>,
  options: { vace?: boolean } = {},
): {
  pipeline: Record<string, unknown>;
  vace: Record<string, unknown> | null;
  rest: Record<string, unknown>;
} {
  const pipeline: Record<string, unknown> = {};
  const vace: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  let vaceWanted = false;
  for (const [key, value] of Object.entries(params)) {
    if (key === 'pipeline_id') continue;
    if (Object.hasOwn(pipelineNode.params.shape, key)) pipeline[key] = value;
    else if (options.vace === false && (key in VACE_KEYS || key === 'vace_enabled')) rest[key] = value;
    else if (key in VACE_KEYS) {
      vace[VACE_KEYS[key]!] = value;
      vaceWanted = true;
    } else if (key === 'vace_enabled') vaceWanted = vaceWanted || value === true;
    else rest[key] = value;
  }
  if (params.vace_enabled === false) vaceWanted = false;
  return { pipeline, vace: vaceWanted ? vace : null, rest };
}

/** Checks timeline entries one by one; a bad entry is skipped with a warning naming it. */
export function checkEntries(
  raw: readonly unknown[],
  path: (string | number)[],
  issues: PatchIssue[],
): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  raw.forEach((entry, i) => {
    const r = timelineEntry.safeParse(entry);
    if (r.success) out.push(r.data);
    else {
      const zi = r.error.issues[0]!;
      const sub = zi.path.filter((k): k is string | number => typeof k !== 'symbol');
      issues.push(
        issue('INVALID_FIELD', `timeline entry skipped: ${zi.message}`, [...path, i, ...sub], 'warning'),
      );
    }
  });
  return out;
}

/** Picks the pipeline prompts go to: the first that takes prompts, else the last. */
export function promptTarget(pipelines: readonly { pipeline_id: string }[]): number {
  const i = pipelines.findIndex((p) => findPipeline(p.pipeline_id)?.supportsPrompts);
  return i >= 0 ? i : pipelines.length - 1;
}

/** Builds the nodes and edges of a linear patch, laid out left to right. */
export function buildLinear(spec: LinearSpec): { nodes: PatchNode[]; edges: PatchEdge[] } {
  const alloc = makeIdAllocator();
  const nodes: PatchNode[] = [];
  const edges: PatchEdge[] = [];
  const edgeId = makeIdAllocator();
  const connect = (from: string, fromPort: string, to: string, toPort: string) =>
    edges.push({
      id: edgeId(`e${edges.length + 1}`),
      from: { node: from, port: fromPort },
      to: { node: to, port: toPort },
    });

  let upstream: string | null = null;
  if (spec.inputMode === 'video') {
    const first = spec.pipelines[0];
    const size = first ? { width: first.params.width, height: first.params.height } : {};
    const params: Record<string, unknown> = { source_mode: 'camera' };
    if (typeof size.width === 'number' && typeof size.height === 'number') Object.assign(params, size);
    upstream = alloc('camera');
    nodes.push({ id: upstream, type: 'camera', version: 1, position: { x: 0, y: 0 }, params });
  }

  const target = promptTarget(spec.pipelines);
  spec.pipelines.forEach((p, i) => {
    const { pipeline, vace, rest } = splitScopeParams(p.params);
    const id = alloc(p.pipeline_id.replace(/^onnx:/, '') || 'pipeline');
    const params: Record<string, unknown> = { pipeline_id: p.pipeline_id, ...pipeline };
    if (findPipeline(p.pipeline_id)?.kind === 'gpu' && params.backend === undefined)
      params.backend = 'remote';
    const node: PatchNode = {
      id,
      type: 'pipeline',
      version: pipelineNode.version,
      position: { x: 0, y: 0 },
      params,
      ...(p.extra ?? {}),
    };
    if (Object.keys(rest).length) node.scope_params = rest;
    nodes.push(node);
    if (upstream) connect(upstream, 'video', id, 'video');
    upstream = id;
    if (vace) {
      const vaceId = alloc('vace');
      nodes.push({ id: vaceId, type: 'vace', version: 1, position: { x: 0, y: 0 }, params: vace });
      connect(vaceId, 'vace', id, 'vace');
    }
    if (i === target && spec.entries && spec.entries.length) {
      const tl = alloc('timeline');
      nodes.push({
        id: tl,
        type: 'prompt-timeline',
        version: 1,
        position: { x: 0, y: 0 },
        params: { entries: spec.entries, loop: spec.loop ?? true },
      });
      connect(tl, 'prompts', id, 'prompts');
    }
  });

  if (upstream) {
    const out = alloc('output');
    nodes.push({ id: out, type: 'output', version: 1, position: { x: 0, y: 0 }, params: { name: 'main' } });
    connect(upstream, 'video', out, 'video');
  }
  const layout = layoutLeftToRight(
    nodes.map((n) => n.id),
    edges,
  );
  for (const n of nodes) n.position = layout.get(n.id)!;
  return { nodes, edges };
}
