import { cameraNode } from './camera/definition';
import type { NodeDefinition, ParamsShape } from './core/types';
import { ndiNode } from './ndi/definition';
import { outputNode } from './output/definition';
import { pipelineNode } from './pipeline/definition';
import { promptTimelineNode } from './prompt-timeline/definition';
import { recordNode } from './record/definition';
import { spoutNode } from './spout/definition';
import { vaceNode } from './vace/definition';

/** Every built-in node type, keyed by its stable type id. */
export const builtinNodes = {
  camera: cameraNode,
  spout: spoutNode,
  ndi: ndiNode,
  pipeline: pipelineNode,
  'prompt-timeline': promptTimelineNode,
  vace: vaceNode,
  output: outputNode,
  record: recordNode,
} as const;

export type BuiltinNodeType = keyof typeof builtinNodes;

/** A lookup of node definitions by type id. Node packages will add to one later. */
export interface NodeRegistry {
  get(type: string): NodeDefinition<ParamsShape> | undefined;
  list(): readonly NodeDefinition<ParamsShape>[];
}

/** Builds a registry from definitions; duplicate type ids are refused. */
export function createRegistry(defs: readonly NodeDefinition<ParamsShape>[]): NodeRegistry {
  const byType = new Map<string, NodeDefinition<ParamsShape>>();
  for (const def of defs) {
    if (byType.has(def.type)) throw new Error(`duplicate node type "${def.type}"`);
    byType.set(def.type, def);
  }
  const list = [...byType.values()];
  return { get: (type) => byType.get(type), list: () => list };
}

/** The registry of built-in node types. */
export const registry: NodeRegistry = createRegistry(
  Object.values(builtinNodes) as unknown as NodeDefinition<ParamsShape>[],
);
