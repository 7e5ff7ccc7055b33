import { z } from 'zod';
import {
  findPipeline,
  portsFor,
  registry as builtinRegistry,
  type NodeRegistry,
  type PortType,
} from '../../nodes';
import { issue } from '../format/issues';
import { ID_PATTERN } from '../format/schema';
import {
  PATCH_FORMAT,
  PATCH_FORMAT_VERSION,
  type Patch,
  type PatchEdge,
  type PatchIssue,
  type PatchNode,
} from '../format/types';
import { layoutLeftToRight } from './layout';

/**
 * Patchbay ⇄ Scope's graph wire form (SCOPE-COMPAT.md, "Graph wire form"), the graph inside
 * `initialParameters.graph`, `/session/start` and a Scope workflow's `graph`.
 *
 * | Patchbay node | wire node |
 * |---|---|
 * | camera | `source`, `source_mode` camera / test_pattern (a Patchbay extension) / video_file (+`source_name`) |
 * | spout, ndi receiving | `source`, `source_mode` spout / ndi, `source_name` |
 * | spout, ndi sending | `sink`, `sink_mode` spout / ndi, `sink_name` |
 * | output | `sink` (no sink_mode: the WebRTC output) |
 * | record | `record` |
 * | pipeline | `pipeline`, `pipeline_id` |
 * | prompt-timeline, vace, any other | `node`, `node_type_id` |
 *
 * Every wire node also carries the node's full `params` and every edge its `id`, which a Scope
 * server ignores, so Patchbay → wire → Patchbay keeps everything but positions.
 */

export type ScopeWireType = 'source' | 'pipeline' | 'sink' | 'record' | 'node';

export interface ScopeGraphNode {
  id: string;
  type: ScopeWireType;
  pipeline_id?: string;
  node_type_id?: string;
  params?: Record<string, unknown>;
  source_mode?: string;
  source_name?: string;
  sink_mode?: string;
  sink_name?: string;
  [unknown: string]: unknown;
}

export interface ScopeGraphEdge {
  from: string;
  from_port: string;
  to_node: string;
  to_port: string;
  kind: 'stream' | 'parameter';
  /** Patchbay's edge id (ignored by Scope). */
  id?: string;
  [unknown: string]: unknown;
}

export interface ScopeGraph {
  nodes: ScopeGraphNode[];
  edges: ScopeGraphEdge[];
  [unknown: string]: unknown;
}

/** Port names Scope treats as frame streams. */
const SCOPE_VIDEO_PORTS = new Set(['video', 'vace_input_frames', 'vace_input_masks']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

function outputPortType(reg: NodeRegistry, node: PatchNode, port: string): PortType | undefined {
  const def = reg.get(node.type);
  if (!def) return undefined;
  return portsFor(def, node.params).outputs.find((p) => p.name === port)?.type;
}

/**
 * A patch as Scope's graph wire form. Unknown node types become `type:"node"` with their
 * `node_type_id`, so nothing is dropped.
 *
 * @example patchToScopeGraph(patch).nodes[0] // {id:'cam', type:'source', source_mode:'camera', params:{…}}
 */
export function patchToScopeGraph(patch: Patch, reg: NodeRegistry = builtinRegistry): ScopeGraph {
  const byId = new Map(patch.nodes.map((n) => [n.id, n]));
  const nodes = patch.nodes.map((n): ScopeGraphNode => {
    const params = { ...n.params };
    const base = { id: n.id, params };
    switch (n.type) {
      case 'camera': {
        const mode = str(params.source_mode) ?? 'camera';
        return {
          ...base,
          type: 'source',
          source_mode: mode,
          ...(mode === 'video_file' && str(params.video_file) ? { source_name: str(params.video_file) } : {}),
          ...(mode === 'camera' && str(params.device) ? { source_name: str(params.device) } : {}),
        };
      }
      case 'spout':
      case 'ndi': {
        const name = str(params.name) ?? 'Patchbay';
        return params.direction === 'send'
          ? { ...base, type: 'sink', sink_mode: n.type, sink_name: name }
          : { ...base, type: 'source', source_mode: n.type, source_name: name };
      }
      case 'output':
        return { ...base, type: 'sink' };
      case 'record':
        return { ...base, type: 'record' };
      case 'pipeline':
        return { ...base, type: 'pipeline', pipeline_id: str(params.pipeline_id) ?? 'passthrough' };
      default:
        return { ...base, type: 'node', node_type_id: n.type };
    }
  });
  const edges = patch.edges.map((e): ScopeGraphEdge => {
    const from = byId.get(e.from.node);
    const type = from ? outputPortType(reg, from, e.from.port) : undefined;
    const stream = type ? type === 'video' : SCOPE_VIDEO_PORTS.has(e.from.port);
    return {
      from: e.from.node,
      from_port: e.from.port,
      to_node: e.to.node,
      to_port: e.to.port,
      kind: stream ? 'stream' : 'parameter',
      id: e.id,
    };
  });
  return { nodes, edges };
}

const wireNodeSchema = z.looseObject({
  id: z.string().min(1).max(256),
  type: z.string().min(1).max(64),
  pipeline_id: z.string().max(1024).nullish(),
  node_type_id: z.string().max(128).nullish(),
  params: z.record(z.string(), z.unknown()).nullish(),
  source_mode: z.string().max(64).nullish(),
  source_name: z.string().max(1024).nullish(),
  sink_mode: z.string().max(64).nullish(),
  sink_name: z.string().max(1024).nullish(),
});

/** Scope also accepts legacy `{source, target}` edges (ports default to "video"). */
const wireEdgeSchema = z.looseObject({
  from: z.string().max(256).optional(),
  from_port: z.string().max(128).optional(),
  to_node: z.string().max(256).optional(),
  to_port: z.string().max(128).optional(),
  source: z.string().max(256).optional(),
  target: z.string().max(256).optional(),
  kind: z.enum(['stream', 'parameter']).optional(),
  id: z.string().max(128).optional(),
});

export const scopeGraphSchema = z.looseObject({
  nodes: z.array(wireNodeSchema).max(2000),
  edges: z.array(wireEdgeSchema).max(8000),
});

export interface ScopeGraphImport {
  nodes: PatchNode[];
  edges: PatchEdge[];
  /** Wire id → patch id, where an id had to change to fit Patchbay's id rules. */
  ids: Map<string, string>;
}

/** Makes wire ids fit ID_PATTERN and stay unique. */
export function makeIdAllocator(): (wanted: string) => string {
  const used = new Set<string>();
  return (wanted) => {
    let base =
      wanted
        .replace(/[^A-Za-z0-9_.-]/g, '_')
        .replace(/^[.-]+/, '')
        .slice(0, 100) || 'node';
    if (!ID_PATTERN.test(base)) base = `n_${base}`;
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    return id;
  };
}

const versionOf = (reg: NodeRegistry, type: string) => reg.get(type)?.version ?? 1;

/**
 * Converts wire-form nodes and edges (already shape-checked) to patch nodes and edges. Issues
 * point into the wire document under `prefix` (e.g. `["graph"]` in a workflow).
 */
export function scopeGraphToNodes(
  graph: z.infer<typeof scopeGraphSchema>,
  prefix: (string | number)[],
  issues: PatchIssue[],
  reg: NodeRegistry = builtinRegistry,
): ScopeGraphImport {
  const alloc = makeIdAllocator();
  const ids = new Map<string, string>();
  const nodes: PatchNode[] = [];
  graph.nodes.forEach((w, i) => {
    const at = [...prefix, 'nodes', i];
    if (ids.has(w.id)) {
      issues.push(
        issue(
          'DUPLICATE_NODE_ID',
          `node id "${w.id}" is used more than once; this one is skipped`,
          [...at, 'id'],
          'warning',
        ),
      );
      return;
    }
    const id = alloc(w.id);
    ids.set(w.id, id);
    const wireParams = { ...(w.params ?? {}) };
    let type: string;
    let params: Record<string, unknown>;
    const mode = w.source_mode ?? undefined;
    switch (w.type) {
      case 'source':
        if (mode === 'spout' || mode === 'ndi') {
          type = mode;
          params = {
            ...wireParams,
            direction: 'receive',
            name: w.source_name ?? wireParams.name ?? 'Patchbay',
          };
        } else if (mode === 'syphon') {
          type = 'syphon';
          params = { ...wireParams, name: w.source_name ?? '' };
          issues.push(
            issue(
              'UNKNOWN_NODE_TYPE',
              'Syphon (macOS) has no Patchbay node; kept as a disabled placeholder',
              [...at, 'source_mode'],
              'warning',
            ),
          );
        } else {
          type = 'camera';
          const patchMode = mode === 'test_pattern' || mode === 'video_file' ? mode : 'camera';
          params = { ...wireParams, source_mode: patchMode };
          if (patchMode === 'video_file' && w.source_name) params.video_file = w.source_name;
          if (mode !== undefined && !['camera', 'video', 'test_pattern', 'video_file'].includes(mode)) {
            issues.push(
              issue(
                'INVALID_FIELD',
                `unknown source_mode "${mode}"; read as the camera`,
                [...at, 'source_mode'],
                'warning',
              ),
            );
          }
        }
        break;
      case 'sink':
        if (w.sink_mode === 'spout' || w.sink_mode === 'ndi') {
          type = w.sink_mode;
          params = { ...wireParams, direction: 'send', name: w.sink_name ?? wireParams.name ?? 'Patchbay' };
        } else if (w.sink_mode === 'syphon') {
          type = 'syphon';
          params = { ...wireParams, direction: 'send', name: w.sink_name ?? '' };
          issues.push(
            issue(
              'UNKNOWN_NODE_TYPE',
              'Syphon (macOS) has no Patchbay node; kept as a disabled placeholder',
              [...at, 'sink_mode'],
              'warning',
            ),
          );
        } else {
          type = 'output';
          params = { name: id, ...wireParams };
        }
        break;
      case 'record':
        type = 'record';
        params = wireParams;
        break;
      case 'pipeline':
        type = 'pipeline';
        params = { ...wireParams, pipeline_id: w.pipeline_id ?? wireParams.pipeline_id ?? '' };
        if (!w.pipeline_id && !wireParams.pipeline_id) {
          issues.push(
            issue('INVALID_FIELD', `pipeline node "${w.id}" has no pipeline_id`, [...at, 'pipeline_id']),
          );
        }
        break;
      case 'node':
        type = w.node_type_id ?? 'unknown';
        params = wireParams;
        if (!w.node_type_id)
          issues.push(
            issue('INVALID_FIELD', `node "${w.id}" of type "node" has no node_type_id`, [
              ...at,
              'node_type_id',
            ]),
          );
        break;
      default:
        type = `scope-${w.type}`;
        params = wireParams;
        issues.push(
          issue(
            'UNKNOWN_NODE_TYPE',
            `unknown wire node type "${w.type}"; kept as a disabled placeholder`,
            [...at, 'type'],
            'warning',
          ),
        );
    }
    nodes.push({ id, type, version: versionOf(reg, type), position: { x: 0, y: 0 }, params });
  });

  const edgeIds = makeIdAllocator();
  const edges: PatchEdge[] = [];
  graph.edges.forEach((w, i) => {
    const at = [...prefix, 'edges', i];
    const fromWire = w.from ?? w.source;
    const toWire = w.to_node ?? w.target;
    const from = fromWire !== undefined ? ids.get(fromWire) : undefined;
    const to = toWire !== undefined ? ids.get(toWire) : undefined;
    if (!from || !to) {
      const which = !from ? `from "${fromWire ?? ''}"` : `to "${toWire ?? ''}"`;
      issues.push(
        issue(
          'UNKNOWN_EDGE_NODE',
          `edge ${which} names a node that is not in the graph; the edge is skipped`,
          [...at, !from ? 'from' : 'to_node'],
        ),
      );
      return;
    }
    edges.push({
      id: edgeIds(w.id ?? `e${i + 1}`),
      from: { node: from, port: w.from_port ?? 'video' },
      to: { node: to, port: w.to_port ?? 'video' },
    });
  });
  recordsFromSinks(nodes, edges, prefix, issues);
  return { nodes, edges, ids };
}

const SINK_TYPES = new Set(['output', 'ndi', 'spout', 'syphon']);

/**
 * Scope wires a Record node from a sink (the sink passes its frames on); Patchbay's sinks have
 * no outputs, so a sink → record edge is rewired to whatever feeds that sink: the record gets
 * the same frames.
 */
function recordsFromSinks(
  nodes: PatchNode[],
  edges: PatchEdge[],
  prefix: (string | number)[],
  issues: PatchIssue[],
): void {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (let i = edges.length - 1; i >= 0; i--) {
    const e = edges[i]!;
    if (!SINK_TYPES.has(byId.get(e.from.node)?.type ?? '') || byId.get(e.to.node)?.type !== 'record')
      continue;
    const feed = edges.find((f) => f.to.node === e.from.node && f.to.port === 'video');
    if (feed) edges[i] = { ...e, from: { ...feed.from } };
    else {
      edges.splice(i, 1);
      issues.push(
        issue(
          'INVALID_FIELD',
          `record "${e.to.node}" is fed from sink "${e.from.node}", which nothing feeds; the edge is skipped`,
          [...prefix, 'edges'],
          'warning',
        ),
      );
    }
  }
}

/**
 * Scope's graph mode keeps each pipeline node's prompt text in `ui_state.node_params.<id>
 * .__prompt`. A pipeline that nothing feeds prompts gets a Prompt-timeline holding that text
 * (one entry, looping); one already fed keeps the text as `scope_params.__prompt`, with a warning.
 */
export function uiPrompts(
  nodes: PatchNode[],
  edges: PatchEdge[],
  ids: Map<string, string>,
  uiState: unknown,
  prefix: (string | number)[],
  issues: PatchIssue[],
): void {
  const nodeParams = (uiState as { node_params?: unknown } | undefined)?.node_params;
  if (!nodeParams || typeof nodeParams !== 'object' || Array.isArray(nodeParams)) return;
  const alloc = makeIdAllocator();
  nodes.forEach((n) => alloc(n.id));
  const edgeAlloc = makeIdAllocator();
  edges.forEach((e) => edgeAlloc(e.id));
  for (const [wireId, bag] of Object.entries(nodeParams as Record<string, unknown>)) {
    const text = (bag as { __prompt?: unknown } | null)?.__prompt;
    if (typeof text !== 'string' || !text.trim()) continue;
    const at = [...prefix, 'ui_state', 'node_params', wireId, '__prompt'];
    const node = nodes.find((n) => n.id === ids.get(wireId));
    if (!node || node.type !== 'pipeline') {
      issues.push(
        issue('INVALID_FIELD', `__prompt of "${wireId}" names no pipeline node; not used`, at, 'warning'),
      );
      continue;
    }
    const fed = edges.some((e) => e.to.node === node.id && e.to.port === 'prompts');
    const takesPrompts = findPipeline(String(node.params.pipeline_id ?? ''))?.supportsPrompts === true;
    if (fed || !takesPrompts) {
      node.scope_params = { ...((node.scope_params as Record<string, unknown>) ?? {}), __prompt: text };
      issues.push(
        issue(
          'INVALID_FIELD',
          fed
            ? `pipeline "${node.id}" already takes prompts from a timeline; its __prompt is kept in scope_params, not played`
            : `pipeline "${node.id}" (${String(node.params.pipeline_id)}) takes no prompts; its __prompt is kept in scope_params`,
          at,
          'warning',
        ),
      );
      continue;
    }
    const tl: PatchNode = {
      id: alloc(`${node.id}_prompt`),
      type: 'prompt-timeline',
      version: 1,
      position: { x: 0, y: 0 },
      params: {
        entries: [{ start_time: 0, end_time: 60, prompts: [{ text: text.slice(0, 4000), weight: 1 }] }],
        loop: true,
      },
    };
    nodes.push(tl);
    edges.push({
      id: edgeAlloc(`e_${tl.id}`),
      from: { node: tl.id, port: 'prompts' },
      to: { node: node.id, port: 'prompts' },
    });
  }
}

/** Lays out nodes left to right, or takes positions from a Scope `ui_state` when it has them. */
export function placeNodes(
  nodes: PatchNode[],
  edges: PatchEdge[],
  ids: Map<string, string>,
  uiState?: unknown,
): void {
  const fromUi = new Map<string, { x: number; y: number }>();
  const uiNodes = (uiState as { nodes?: unknown } | undefined)?.nodes;
  if (Array.isArray(uiNodes)) {
    for (const u of uiNodes) {
      const pos = (u as { position?: { x?: unknown; y?: unknown } })?.position;
      const wireId = (u as { id?: unknown })?.id;
      const id = typeof wireId === 'string' ? ids.get(wireId) : undefined;
      if (id && pos && Number.isFinite(pos.x) && Number.isFinite(pos.y))
        fromUi.set(id, { x: pos.x as number, y: pos.y as number });
    }
  }
  const layout = layoutLeftToRight(
    nodes.map((n) => n.id),
    edges,
  );
  for (const n of nodes) n.position = fromUi.get(n.id) ?? layout.get(n.id)!;
}

export interface ImportMetadata {
  name: string;
  created_at?: string;
  description?: string;
  [unknown: string]: unknown;
}

/** Wraps nodes and edges as a current-version patch. */
export function buildPatch(
  meta: ImportMetadata,
  nodes: PatchNode[],
  edges: PatchEdge[],
  appVersion: string,
): Patch {
  return {
    format: PATCH_FORMAT,
    format_version: PATCH_FORMAT_VERSION,
    metadata: {
      ...meta,
      name: meta.name,
      created_at: meta.created_at ?? new Date(0).toISOString(),
      app_version: appVersion,
    },
    nodes,
    edges,
  };
}

/** Zod issues from a foreign document, as patch issues under a prefix. */
export function foreignIssues(error: z.ZodError, prefix: (string | number)[] = []): PatchIssue[] {
  return error.issues.map((zi) =>
    issue('INVALID_FIELD', zi.message, [
      ...prefix,
      ...zi.path.filter((k): k is string | number => typeof k !== 'symbol'),
    ]),
  );
}

/**
 * Scope's graph wire form (or `{graph}` / `{initialParameters:{graph}}` around it) as a patch
 * laid out left to right. GPU pipelines are set to the remote backend (they cannot run locally).
 */
export function scopeGraphToPatch(
  input: unknown,
  options: { name?: string; appVersion?: string; registry?: NodeRegistry } = {},
): { ok: true; patch: Patch; issues: PatchIssue[] } | { ok: false; issues: PatchIssue[] } {
  const checked = scopeGraphSchema.safeParse(input);
  if (!checked.success) return { ok: false, issues: foreignIssues(checked.error) };
  const issues: PatchIssue[] = [];
  const { nodes, edges, ids } = scopeGraphToNodes(checked.data, [], issues, options.registry);
  if (issues.some((i) => i.severity !== 'warning')) return { ok: false, issues };
  preferRemoteForGpu(nodes);
  const uiState = (checked.data as { ui_state?: unknown }).ui_state;
  uiPrompts(nodes, edges, ids, uiState, [], issues);
  placeNodes(nodes, edges, ids, uiState);
  return {
    ok: true,
    patch: buildPatch(
      { name: options.name ?? 'Imported Scope graph' },
      nodes,
      edges,
      options.appVersion ?? '0.0.0',
    ),
    issues,
  };
}

/** Scope's GPU pipelines run only through the remote backend here; local would be refused. */
export function preferRemoteForGpu(nodes: PatchNode[]): void {
  for (const n of nodes) {
    if (n.type !== 'pipeline') continue;
    const info = findPipeline(String(n.params.pipeline_id ?? ''));
    if (info?.kind === 'gpu' && n.params.backend === undefined) n.params.backend = 'remote';
  }
}
