import { z } from 'zod';
import { registry as builtinRegistry, type NodeRegistry, type TimelineEntry } from '../../nodes';
import { issue } from '../format/issues';
import type { Patch, PatchIssue, PatchNode } from '../format/types';
import { buildLinear, checkEntries, promptTarget, splitScopeParams, type LinearPipeline } from './linear';
import {
  buildPatch,
  foreignIssues,
  makeIdAllocator,
  patchToScopeGraph,
  placeNodes,
  preferRemoteForGpu,
  scopeGraphSchema,
  scopeGraphToNodes,
  uiPrompts,
} from './scope-graph';

/**
 * Import of Daydream Scope's workflow file, `*.scope-workflow.json` (SCOPE-COMPAT.md, "Files
 * Patchbay imports"). Without a `graph` it becomes source → pipelines (preprocessors, main,
 * postprocessors, in that order) → output; with one, the graph is converted and the
 * `pipelines` list supplies each pipeline node's params. `timeline` (or, failing that, the
 * top-level `prompts`) becomes a Prompt-timeline feeding the pipeline that takes prompts.
 */

const prompt = z.looseObject({ text: z.string().max(4000), weight: z.number().optional() });

export const scopeWorkflowSchema = z.looseObject({
  format: z.literal('scope-workflow'),
  format_version: z.union([z.string(), z.number()]),
  metadata: z
    .looseObject({
      name: z.string().max(256).optional(),
      created_at: z.string().max(64).optional(),
      scope_version: z.string().max(64).optional(),
    })
    .optional(),
  pipelines: z
    .array(
      z.looseObject({
        pipeline_id: z.string().min(1).max(1024),
        pipeline_version: z.union([z.string(), z.number()]).optional(),
        source: z.unknown().optional(),
        loras: z.array(z.unknown()).optional(),
        params: z.record(z.string(), z.unknown()).optional(),
        role: z.string().max(64).optional(),
      }),
    )
    .max(32),
  prompts: z.array(prompt).max(16).optional(),
  timeline: z.looseObject({ entries: z.array(z.unknown()).max(1000) }).optional(),
  graph: scopeGraphSchema.optional(),
});

const ROLE_ORDER: Record<string, number> = { preprocessor: 0, main: 1, postprocessor: 2 };

export type ImportResult =
  { ok: true; patch: Patch; issues: PatchIssue[] } | { ok: false; issues: PatchIssue[] };

export interface ImportOptions {
  appVersion?: string;
  registry?: NodeRegistry;
}

/**
 * Scope's Perform-mode timeline keeps prompt weights as its blend sliders show them, 0–100 (a
 * single-text entry is written with weight 1.0). An entry with any weight above 1 is read on
 * that scale: all its weights are divided by 100, as the legacy timeline importer does.
 */
export function scaleScopeWeights(entry: unknown): unknown {
  if (!entry || typeof entry !== 'object') return entry;
  const prompts = (entry as { prompts?: unknown }).prompts;
  if (!Array.isArray(prompts)) return entry;
  const w = (p: unknown) => (p as { weight?: unknown } | null)?.weight;
  if (!prompts.some((p) => typeof w(p) === 'number' && (w(p) as number) > 1)) return entry;
  return {
    ...entry,
    prompts: prompts.map((p) =>
      p && typeof p === 'object' && typeof w(p) === 'number' ? { ...p, weight: (w(p) as number) / 100 } : p,
    ),
  };
}

function workflowEntries(wf: z.infer<typeof scopeWorkflowSchema>, issues: PatchIssue[]): TimelineEntry[] {
  if (wf.timeline)
    return checkEntries(wf.timeline.entries.map(scaleScopeWeights), ['timeline', 'entries'], issues);
  if (wf.prompts && wf.prompts.length) {
    return checkEntries(
      [
        {
          start_time: 0,
          end_time: 60,
          prompts: wf.prompts.map((p) => ({ text: p.text, weight: p.weight ?? 1 })),
        },
      ].map(scaleScopeWeights),
      ['prompts'],
      issues,
    );
  }
  return [];
}

/**
 * A Scope workflow document (already JSON-parsed and guarded) as a patch.
 *
 * @example importScopeWorkflow(JSON.parse(text)) // {ok:true, patch, issues:[…warnings]}
 */
export function importScopeWorkflow(input: unknown, options: ImportOptions = {}): ImportResult {
  const checked = scopeWorkflowSchema.safeParse(input);
  if (!checked.success) return { ok: false, issues: foreignIssues(checked.error) };
  const wf = checked.data;
  const issues: PatchIssue[] = [];
  if (String(wf.format_version).split('.')[0] !== '1') {
    issues.push(
      issue(
        'INVALID_FIELD',
        `workflow format_version ${String(wf.format_version)} is not 1.x; read as 1.0`,
        ['format_version'],
        'warning',
      ),
    );
  }
  const meta = {
    name: wf.metadata?.name || 'Imported Scope workflow',
    ...(wf.metadata?.created_at ? { created_at: wf.metadata.created_at } : {}),
    imported_from: { format: 'scope-workflow', scope_version: wf.metadata?.scope_version ?? null },
  };
  const entries = workflowEntries(wf, issues);

  const pipelines: LinearPipeline[] = wf.pipelines
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (ROLE_ORDER[a.p.role ?? 'main'] ?? 1) - (ROLE_ORDER[b.p.role ?? 'main'] ?? 1))
    .map(({ p, i }) => {
      const extra: Record<string, unknown> = {};
      const scope: Record<string, unknown> = {};
      if (p.pipeline_version !== undefined) scope.pipeline_version = p.pipeline_version;
      if (p.source !== undefined) scope.source = p.source;
      if (p.loras && p.loras.length) scope.loras = p.loras;
      if (p.role !== undefined) scope.role = p.role;
      if (Object.keys(scope).length) extra.scope = scope;
      return { pipeline_id: p.pipeline_id, params: { ...(p.params ?? {}) }, extra, path: ['pipelines', i] };
    });

  if (!wf.graph) {
    if (pipelines.length === 0) {
      return {
        ok: false,
        issues: [
          ...issues,
          issue('INVALID_FIELD', 'the workflow names no pipelines and has no graph', ['pipelines']),
        ],
      };
    }
    const textMode = pipelines.some((p) => p.params.input_mode === 'text');
    const { nodes, edges } = buildLinear({ inputMode: textMode ? 'text' : 'video', pipelines, entries });
    return { ok: true, patch: buildPatch(meta, nodes, edges, options.appVersion ?? '0.0.0'), issues };
  }

  // With a graph: its nodes and edges, pipeline params from the list, and a timeline if missing.
  const { nodes, edges, ids } = scopeGraphToNodes(
    wf.graph,
    ['graph'],
    issues,
    options.registry ?? builtinRegistry,
  );
  if (issues.some((i) => i.severity !== 'warning')) return { ok: false, issues };
  const unused = [...pipelines];
  const pipelineNodes = nodes.filter((n) => n.type === 'pipeline');
  for (const n of pipelineNodes) {
    const at = unused.findIndex((p) => p.pipeline_id === n.params.pipeline_id);
    if (at < 0) continue;
    const [p] = unused.splice(at, 1);
    const { pipeline, rest } = splitScopeParams(p!.params, { vace: false });
    n.params = { ...pipeline, ...n.params };
    Object.assign(n, p!.extra ?? {});
    if (Object.keys(rest).length) n.scope_params = rest;
  }
  for (const p of unused) {
    issues.push(
      issue(
        'INVALID_FIELD',
        `pipeline "${p.pipeline_id}" is not in the graph; its params are not used`,
        p.path,
        'warning',
      ),
    );
  }
  preferRemoteForGpu(nodes);
  const hasTimeline = nodes.some((n) => n.type === 'prompt-timeline');
  if (!hasTimeline && entries.length && pipelineNodes.length) {
    const target =
      pipelineNodes[promptTarget(pipelineNodes.map((n) => ({ pipeline_id: String(n.params.pipeline_id) })))]!;
    if (!edges.some((e) => e.to.node === target.id && e.to.port === 'prompts')) {
      const alloc = makeIdAllocator();
      nodes.forEach((n) => alloc(n.id));
      const tl: PatchNode = {
        id: alloc('timeline'),
        type: 'prompt-timeline',
        version: 1,
        position: { x: 0, y: 0 },
        params: { entries, loop: true },
      };
      nodes.push(tl);
      const edgeAlloc = makeIdAllocator();
      edges.forEach((e) => edgeAlloc(e.id));
      edges.push({
        id: edgeAlloc('e_timeline'),
        from: { node: tl.id, port: 'prompts' },
        to: { node: target.id, port: 'prompts' },
      });
    }
  }
  const uiState = (wf.graph as { ui_state?: unknown }).ui_state;
  uiPrompts(nodes, edges, ids, uiState, ['graph'], issues);
  placeNodes(nodes, edges, ids, uiState);
  return { ok: true, patch: buildPatch(meta, nodes, edges, options.appVersion ?? '0.0.0'), issues };
}

/** Options of {@link patchToScopeWorkflow}. */
export interface ExportOptions {
  /** Written as `metadata.created_at` (default now). */
  createdAt?: string;
  /** Written as `metadata.scope_version`: the Scope API version Patchbay speaks. */
  scopeVersion?: string;
}

/**
 * A patch as a Scope workflow file (`*.scope-workflow.json`), what Scope users exchange: its
 * pipeline nodes as `pipelines` (built-in source, no LoRAs), the first Prompt-timeline as
 * `timeline` (weights on Scope's 0–100 slider scale), and the rest of the graph as `graph`
 * with node positions in `ui_state`. Prompt-timeline nodes are not Scope graph nodes, so they
 * and their edges stay out of `graph`; importing the file puts the timeline back on the
 * pipeline that takes prompts. Imported again with {@link importScopeWorkflow}, the patch
 * keeps its pipelines, wiring and timeline entries.
 */
export function patchToScopeWorkflow(patch: Patch, options: ExportOptions = {}): Record<string, unknown> {
  const timelines = patch.nodes.filter((n) => n.type === 'prompt-timeline');
  const timelineIds = new Set(timelines.map((n) => n.id));
  const rest: Patch = {
    ...patch,
    nodes: patch.nodes.filter((n) => !timelineIds.has(n.id)),
    edges: patch.edges.filter((e) => !timelineIds.has(e.from.node) && !timelineIds.has(e.to.node)),
  };
  const graph = patchToScopeGraph(rest);
  const pipelines = patch.nodes
    .filter((n) => n.type === 'pipeline')
    .map((n) => {
      const { pipeline_id: id, ...params } = n.params;
      const scope = (
        n as { scope?: { pipeline_version?: unknown; source?: unknown; loras?: unknown; role?: unknown } }
      ).scope;
      return {
        pipeline_id: typeof id === 'string' ? id : 'passthrough',
        pipeline_version: typeof scope?.pipeline_version === 'string' ? scope.pipeline_version : '1.0.0',
        source: scope?.source ?? { type: 'builtin' },
        loras: Array.isArray(scope?.loras) ? scope.loras : [],
        params,
        ...(typeof scope?.role === 'string' ? { role: scope.role } : {}),
      };
    });
  const entries = (timelines[0]?.params.entries ?? []) as TimelineEntry[];
  const out: Record<string, unknown> = {
    format: 'scope-workflow',
    format_version: '1.0',
    metadata: {
      name: patch.metadata.name,
      created_at: options.createdAt ?? new Date().toISOString(),
      scope_version: options.scopeVersion ?? '0.2.4',
    },
    pipelines,
    ...(entries.length
      ? {
          timeline: {
            entries: entries.map((e) => ({
              start_time: e.start_time,
              end_time: e.end_time,
              prompts: e.prompts.map((p) => ({
                text: p.text,
                weight: Math.round(p.weight * 100 * 1000) / 1000,
              })),
              ...(e.transition_steps !== undefined ? { transition_steps: e.transition_steps } : {}),
              ...(e.temporal_interpolation_method
                ? { temporal_interpolation_method: e.temporal_interpolation_method }
                : {}),
            })),
          },
        }
      : {}),
    graph: {
      ...graph,
      ui_state: { nodes: rest.nodes.map((n) => ({ id: n.id, position: { ...n.position } })) },
    },
  };
  return out;
}
