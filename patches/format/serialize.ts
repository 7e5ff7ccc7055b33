import { checkJsonValue } from './guard';
import type { Patch } from './types';

const ORDER: Record<string, readonly string[]> = {
  patch: ['format', 'format_version', 'metadata', 'nodes', 'edges'],
  metadata: ['name', 'description', 'created_at', 'app_version'],
  node: ['id', 'type', 'version', 'position', 'params', 'ui'],
  edge: ['id', 'from', 'to'],
  ref: ['node', 'port'],
  position: ['x', 'y'],
};

/** Known keys first in a fixed order, then the rest as they came (Object.fromEntries: no prototype setter). */
function ordered(value: unknown, order: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = [
    ...order.filter((k) => Object.hasOwn(obj, k)),
    ...Object.keys(obj).filter((k) => !order.includes(k)),
  ];
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}

/**
 * Writes a patch as stable, pretty JSON: 2-space indent, a trailing newline, known fields in a
 * fixed order (unknown ones after them, as they came), params in their own order. Saving the
 * same patch twice gives the same bytes, so files diff well. Throws a clear error for a value
 * JSON cannot hold or nesting past the limits (checked without recursion first).
 */
export function serializePatch(patch: Patch): string {
  const problems = checkJsonValue(patch);
  if (problems.length) {
    const first = problems[0]!;
    throw new Error(`cannot save the patch: ${first.pathText}: ${first.message}`);
  }
  const doc = ordered(patch, ORDER.patch!) as Record<string, unknown>;
  if (doc.metadata !== undefined) doc.metadata = ordered(doc.metadata, ORDER.metadata!);
  if (Array.isArray(doc.nodes)) {
    doc.nodes = doc.nodes.map((n) => {
      const node = ordered(n, ORDER.node!) as Record<string, unknown>;
      if (node && typeof node === 'object' && node.position !== undefined)
        node.position = ordered(node.position, ORDER.position!);
      return node;
    });
  }
  if (Array.isArray(doc.edges)) {
    doc.edges = doc.edges.map((e) => {
      const edge = ordered(e, ORDER.edge!) as Record<string, unknown>;
      if (edge && typeof edge === 'object') {
        if (edge.from !== undefined) edge.from = ordered(edge.from, ORDER.ref!);
        if (edge.to !== undefined) edge.to = ordered(edge.to, ORDER.ref!);
      }
      return edge;
    });
  }
  return JSON.stringify(doc, null, 2) + '\n';
}
