/**
 * Patches built for Scope clients that never send one: "the loaded pipeline between the
 * client's camera (or a test pattern in text mode) and one output". The server builds them for
 * /api/v1/webrtc/offer and the headless endpoints, the relay client for a cloud session.
 */
import { registry } from '../../nodes';
import { PATCH_FORMAT, PATCH_FORMAT_VERSION, type Patch, type PatchNode } from '../format/types';

function node(id: string, type: string, params: Record<string, unknown>, x: number): PatchNode {
  const def = registry.get(type);
  if (!def) throw new Error(`node type "${type}" is not in the registry`);
  return { id, type, version: def.version, params, position: { x, y: 0 } };
}

export interface PipelinePatchOptions {
  pipelineIds: readonly string[];
  /** text: the source is the runtime's test pattern (no camera track comes in). */
  inputMode: 'video' | 'text';
  /** Load params from /pipeline/load (width, height, seed, …), applied to every pipeline node. */
  loadParams?: Record<string, unknown>;
  /** Node ids for the pipelines (Scope's `pipelines[].node_id`); defaults to pipeline, pipeline_2, … */
  nodeIds?: readonly string[];
  name?: string;
}

/** camera → pipeline(s) in a chain → output. */
export function patchFromPipelines(opts: PipelinePatchOptions): Patch {
  const nodes: PatchNode[] = [];
  const edges: Patch['edges'] = [];
  const sourceParams: Record<string, unknown> = {
    source_mode: opts.inputMode === 'text' ? 'test_pattern' : 'camera',
  };
  const size = pickSize(opts.loadParams);
  if (size) Object.assign(sourceParams, size);
  nodes.push(node('camera', 'camera', sourceParams, 0));
  let prev = 'camera';
  opts.pipelineIds.forEach((pipelineId, i) => {
    const id = opts.nodeIds?.[i] ?? (i === 0 ? 'pipeline' : `pipeline_${i + 1}`);
    nodes.push(
      node(
        id,
        'pipeline',
        { ...pipelineLoadParams(opts.loadParams), pipeline_id: pipelineId },
        250 * (i + 1),
      ),
    );
    edges.push({
      id: `e_${prev}_${id}`,
      from: { node: prev, port: 'video' },
      to: { node: id, port: 'video' },
    });
    prev = id;
  });
  nodes.push(node('output', 'output', { name: 'main', preview: true }, 250 * (opts.pipelineIds.length + 1)));
  edges.push({
    id: `e_${prev}_output`,
    from: { node: prev, port: 'video' },
    to: { node: 'output', port: 'video' },
  });
  return {
    format: PATCH_FORMAT,
    format_version: PATCH_FORMAT_VERSION,
    metadata: {
      name: opts.name ?? 'Scope session',
      created_at: new Date().toISOString(),
      app_version: '0.1.0',
    },
    nodes,
    edges,
  };
}

function pickSize(p: Record<string, unknown> | undefined): { width: number; height: number } | null {
  if (!p) return null;
  const { width, height } = p;
  if (typeof width === 'number' && typeof height === 'number') return { width, height };
  return null;
}

/** Keeps only the load params the Pipeline node knows; the compiler validates their values. */
function pipelineLoadParams(p: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!p) return {};
  const def = registry.get('pipeline')!;
  const known = new Set(Object.keys(def.paramMeta));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (known.has(k) && k !== 'pipeline_id') out[k] = v;
  return out;
}
