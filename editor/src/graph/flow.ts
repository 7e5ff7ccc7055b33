import type { NodeRegistry, NodeDefinition, ParamsShape } from '../../../nodes';
import type { Patch, PatchEdge, PatchNode } from '../../../patches';
import type { PatchChange } from '../../../runtime/protocol';
import { nodePorts, type NodePorts } from './ports';

/** What a React Flow node carries in `data` for Patchbay's node component. */
export interface FlowNodeData extends Record<string, unknown> {
  node: PatchNode;
  def: NodeDefinition<ParamsShape> | undefined;
  ports: NodePorts;
}

/** The subset of React Flow's Node type this mapping produces (kept local so graph/ stays React-free). */
export interface FlowNode {
  id: string;
  type: 'patchbay';
  position: { x: number; y: number };
  data: FlowNodeData;
  selected: boolean;
}

export interface FlowEdge {
  id: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
  selected: boolean;
  className: string;
  data: { portType: string };
}

/** Patch nodes as React Flow nodes. Objects are reused from `previous` when nothing changed, so React Flow skips them. */
export function toFlowNodes(
  patch: Patch,
  registry: NodeRegistry,
  selected: ReadonlySet<string>,
  previous?: ReadonlyMap<string, FlowNode>,
): FlowNode[] {
  return patch.nodes.map((node) => {
    const isSelected = selected.has(node.id);
    const prev = previous?.get(node.id);
    if (prev && prev.data.node === node && prev.selected === isSelected) return prev;
    return {
      id: node.id,
      type: 'patchbay',
      position: node.position,
      data: { node, def: registry.get(node.type), ports: nodePorts(node, registry) },
      selected: isSelected,
    };
  });
}

/** Patch edges as React Flow edges, classed by port type (`edge-video`, `edge-prompts`…) for colour. */
export function toFlowEdges(patch: Patch, registry: NodeRegistry, selected: ReadonlySet<string>): FlowEdge[] {
  const byId = new Map(patch.nodes.map((n) => [n.id, n]));
  return patch.edges.map((e: PatchEdge) => {
    const src = byId.get(e.from.node);
    const type =
      (src && nodePorts(src, registry).outputs.find((p) => p.name === e.from.port)?.type) ?? 'unknown';
    return {
      id: e.id,
      source: e.from.node,
      sourceHandle: e.from.port,
      target: e.to.node,
      targetHandle: e.to.port,
      selected: selected.has(e.id),
      className: `edge-${type}`,
      data: { portType: type },
    };
  });
}

/** A React Flow position change, as much of it as the mapping needs. */
export interface FlowPositionChange {
  type: 'position';
  id: string;
  position?: { x: number; y: number };
  dragging?: boolean;
}

/**
 * node.move changes for a finished drag (positions rounded; unchanged nodes skipped). Moves are
 * committed when the drag ends so one drag is one undo step and one message to the runtime.
 */
export function moveChanges(
  patch: Patch,
  moved: ReadonlyMap<string, { x: number; y: number }>,
): PatchChange[] {
  const changes: PatchChange[] = [];
  for (const [id, pos] of moved) {
    const node = patch.nodes.find((n) => n.id === id);
    if (!node) continue;
    const position = { x: Math.round(pos.x), y: Math.round(pos.y) };
    if (position.x !== node.position.x || position.y !== node.position.y)
      changes.push({ op: 'node.move', id, position });
  }
  return changes;
}
