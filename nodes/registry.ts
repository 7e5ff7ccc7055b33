import { cameraNode } from './camera/definition';
import { CameraRuntime } from './camera/runtime';
import type { AnyNodeType, RuntimeFactory } from './core/runtime';
import { nodeType } from './core/runtime';
import type { NodeDefinition, ParamsShape } from './core/types';
import { ndiNode } from './ndi/definition';
import { createNdiRuntime } from './ndi/runtime';
import { outputNode } from './output/definition';
import { OutputRuntime } from './output/runtime';
import { pipelineNode } from './pipeline/definition';
import { PipelineRuntime } from './pipeline/runtime';
import { promptTimelineNode } from './prompt-timeline/definition';
import { TimelineRuntime } from './prompt-timeline/runtime';
import { recordNode } from './record/definition';
import { RecordRuntime } from './record/runtime';
import { spoutNode } from './spout/definition';
import { createSpoutRuntime } from './spout/runtime';
import { vaceNode } from './vace/definition';
import { VaceRuntime } from './vace/runtime';

/**
 * Every built-in node type, keyed by its stable type id: its definition and its runtime (the
 * part the engine runs). `nodeType` ties each runtime's params to its definition's schema.
 */
export const builtinNodeTypes = {
  camera: nodeType(cameraNode, (node, ctx) => new CameraRuntime(node, ctx)),
  spout: nodeType(spoutNode, createSpoutRuntime),
  ndi: nodeType(ndiNode, createNdiRuntime),
  pipeline: nodeType(pipelineNode, (node, ctx) => new PipelineRuntime(node, ctx)),
  'prompt-timeline': nodeType(promptTimelineNode, (node, ctx) => new TimelineRuntime(node, ctx)),
  vace: nodeType(vaceNode, (node, ctx) => new VaceRuntime(node, ctx)),
  output: nodeType(outputNode, (node, ctx) => new OutputRuntime(node, ctx)),
  record: nodeType(recordNode, (node, ctx) => new RecordRuntime(node, ctx)),
} satisfies Record<string, AnyNodeType>;

export type BuiltinNodeType = keyof typeof builtinNodeTypes;

/** Every built-in node definition, keyed by its stable type id. */
export const builtinNodes = Object.fromEntries(
  Object.entries(builtinNodeTypes).map(([type, t]) => [type, t.definition]),
) as { [K in BuiltinNodeType]: (typeof builtinNodeTypes)[K]['definition'] };

/** A lookup of node types by id: built-ins, plus node packages where the runtime loaded them. */
export interface NodeRegistry {
  get(type: string): NodeDefinition<ParamsShape> | undefined;
  list(): readonly NodeDefinition<ParamsShape>[];
  /** The runtime factory of a type (undefined: the type has none on this host, or is unknown). */
  runtime(type: string): RuntimeFactory<Record<string, unknown>> | undefined;
}

/**
 * Builds a registry from node types (definition + runtime) or bare definitions (no runtime: the
 * engine keeps such nodes as placeholders that say so). Duplicate type ids are refused.
 */
export function createRegistry(
  entries: readonly (AnyNodeType | NodeDefinition<ParamsShape>)[],
): NodeRegistry {
  const byType = new Map<
    string,
    AnyNodeType | { definition: NodeDefinition<ParamsShape>; runtime?: undefined }
  >();
  for (const e of entries) {
    const entry = 'definition' in e ? e : { definition: e };
    const { type } = entry.definition;
    if (byType.has(type)) throw new Error(`duplicate node type "${type}"`);
    byType.set(type, entry);
  }
  const list = [...byType.values()].map((e) => e.definition);
  return {
    get: (type) => byType.get(type)?.definition,
    list: () => list,
    runtime: (type) => byType.get(type)?.runtime,
  };
}

/** The registry of built-in node types. */
export const registry: NodeRegistry = createRegistry(Object.values(builtinNodeTypes) as AnyNodeType[]);
