import {
  isStreamPort,
  portsFor,
  type NodePorts,
  type NodeDefinition,
  type NodeRegistry,
  type ParamsShape,
} from '../../../nodes';
import type { Patch, PatchEdge, PatchNode, PortRef } from '../../../patches';

export type { NodePorts };

/**
 * Ports of a patch node, from its definition (`ports(params)` when the type declares it).
 * Unknown types have no ports; params that fail the schema fall back to the static ports so a
 * half-edited node still shows its handles.
 */
export function nodePorts(node: PatchNode, registry: NodeRegistry): NodePorts {
  const def = registry.get(node.type);
  if (!def) return { inputs: [], outputs: [] };
  return portsOf(def, node.params);
}

/** Ports of a definition for given params (nodes/core/ports.ts: the one derivation). */
export function portsOf(def: NodeDefinition<ParamsShape>, params: Record<string, unknown>): NodePorts {
  return portsFor(def, params);
}

/** The result of checking a proposed connection. */
export type ConnectCheck =
  | {
      ok: true;
      /** Edges that the new one replaces (a stream input holds one edge; the old one goes). */
      replaces: string[];
    }
  | {
      ok: false;
      /** Short reason ("type mismatch"). */
      reason: string;
      /** What the user sees near the port: why, and what to do instead. */
      hint: string;
    };

function label(node: PatchNode, registry: NodeRegistry): string {
  return registry.get(node.type)?.displayName ?? node.type;
}

/** Node types (display names) that have an output of `type`, for hints. */
function producersOf(type: string, registry: NodeRegistry): string[] {
  return registry
    .list()
    .filter((d) => d.outputs.some((p) => p.type === type))
    .map((d) => d.displayName);
}

/** True when a path of stream edges leads from `start` to `target`. */
function streamReaches(
  edges: readonly PatchEdge[],
  streamEdge: (e: PatchEdge) => boolean,
  start: string,
  target: string,
): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!streamEdge(e)) continue;
    const list = next.get(e.from.node) ?? [];
    list.push(e.to.node);
    next.set(e.from.node, list);
  }
  const seen = new Set<string>([start]);
  const stack = [start];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === target) return true;
    for (const n of next.get(id) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return false;
}

/**
 * Checks whether an edge from an output port to an input port may be added: both exist, the
 * port types match, no stream cycle results, and it is not a duplicate. An occupied input is
 * not refused: the old edge is listed in `replaces` (each input holds one edge).
 *
 * @example
 * const c = checkConnection(patch, registry, { node: 'cam', port: 'video' }, { node: 'p', port: 'prompts' });
 * if (!c.ok) showHint(c.hint); // "Camera's video output carries video, but Pipeline's prompts input takes prompts…"
 */
export function checkConnection(
  patch: Patch,
  registry: NodeRegistry,
  from: PortRef,
  to: PortRef,
): ConnectCheck {
  const src = patch.nodes.find((n) => n.id === from.node);
  const dst = patch.nodes.find((n) => n.id === to.node);
  if (!src)
    return { ok: false, reason: 'unknown node', hint: `There is no node "${from.node}" in this patch.` };
  if (!dst)
    return { ok: false, reason: 'unknown node', hint: `There is no node "${to.node}" in this patch.` };
  if (src.id === dst.id) return { ok: false, reason: 'self connection', hint: 'A node cannot feed itself.' };
  const out = nodePorts(src, registry).outputs.find((p) => p.name === from.port);
  if (!out)
    return {
      ok: false,
      reason: 'unknown port',
      hint: `${label(src, registry)} has no output "${from.port}".`,
    };
  const inp = nodePorts(dst, registry).inputs.find((p) => p.name === to.port);
  if (!inp)
    return { ok: false, reason: 'unknown port', hint: `${label(dst, registry)} has no input "${to.port}".` };
  if (out.type !== inp.type) {
    const producers = producersOf(inp.type, registry);
    const instead = producers.length ? ` Connect a ${producers.join(' or ')} output here instead.` : '';
    return {
      ok: false,
      reason: 'type mismatch',
      hint: `${label(src, registry)}'s ${out.name} output carries ${out.type}, but ${label(dst, registry)}'s ${inp.name} input takes ${inp.type}.${instead}`,
    };
  }
  if (
    patch.edges.some(
      (e) =>
        e.from.node === from.node &&
        e.from.port === from.port &&
        e.to.node === to.node &&
        e.to.port === to.port,
    )
  ) {
    return { ok: false, reason: 'duplicate', hint: 'These ports are already connected.' };
  }
  if (isStreamPort(out.type)) {
    const isStream = (e: PatchEdge) => {
      const n = patch.nodes.find((x) => x.id === e.from.node);
      const p = n && nodePorts(n, registry).outputs.find((q) => q.name === e.from.port);
      return !!p && isStreamPort(p.type);
    };
    if (streamReaches(patch.edges, isStream, dst.id, src.id)) {
      return {
        ok: false,
        reason: 'cycle',
        hint: `This would make a loop: ${label(dst, registry)} already feeds ${label(src, registry)}. Video must flow one way (use a feedback pipeline such as Trails for echoes).`,
      };
    }
  }
  const replaces = patch.edges.filter((e) => e.to.node === to.node && e.to.port === to.port).map((e) => e.id);
  return { ok: true, replaces };
}

/** The type of a port on a node, or undefined when the node or port does not exist. */
export function portType(
  patch: Patch,
  registry: NodeRegistry,
  ref: PortRef,
  side: 'in' | 'out',
): string | undefined {
  const node = patch.nodes.find((n) => n.id === ref.node);
  if (!node) return undefined;
  const ports = nodePorts(node, registry);
  return (side === 'in' ? ports.inputs : ports.outputs).find((p) => p.name === ref.port)?.type;
}
