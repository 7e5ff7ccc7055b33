/**
 * A simple left-to-right layout for imported and generated patches: each node's column is the
 * longest chain of edges leading to it (sources on the left, outputs on the right), and nodes
 * that only feed others (prompt timelines, VACE) sit one column left of what they feed, so a
 * control node lands next to its pipeline. Rows follow the order nodes are listed. Iterative
 * (no recursion); nodes in a cycle keep the column reached so far.
 */
export const LAYOUT_SPACING = { x: 300, y: 180 } as const;

export interface LayoutEdge {
  from: { node: string };
  to: { node: string };
}

/** Positions by node id, laid out left to right. */
export function layoutLeftToRight(
  nodeIds: readonly string[],
  edges: readonly LayoutEdge[],
  spacing: { x: number; y: number } = LAYOUT_SPACING,
): Map<string, { x: number; y: number }> {
  const known = new Set(nodeIds);
  const incoming = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  const outgoing = new Map<string, string[]>(nodeIds.map((id) => [id, []]));
  for (const e of edges) {
    if (!known.has(e.from.node) || !known.has(e.to.node) || e.from.node === e.to.node) continue;
    outgoing.get(e.from.node)!.push(e.to.node);
    incoming.set(e.to.node, incoming.get(e.to.node)! + 1);
  }
  const column = new Map<string, number>(nodeIds.map((id) => [id, 0]));
  // Kahn's algorithm: a node's column is settled once all its inputs are.
  const remaining = new Map(incoming);
  const queue = nodeIds.filter((id) => remaining.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const next of outgoing.get(id)!) {
      column.set(next, Math.max(column.get(next)!, column.get(id)! + 1));
      remaining.set(next, remaining.get(next)! - 1);
      if (remaining.get(next) === 0) queue.push(next);
    }
  }
  // Pull input-less nodes right, next to the nearest node they feed.
  for (const id of nodeIds) {
    const targets = outgoing.get(id)!;
    if (incoming.get(id) === 0 && targets.length > 0) {
      column.set(id, Math.max(0, Math.min(...targets.map((t) => column.get(t)!)) - 1));
    }
  }
  const rows = new Map<number, number>();
  const out = new Map<string, { x: number; y: number }>();
  for (const id of nodeIds) {
    const col = column.get(id)!;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    out.set(id, { x: col * spacing.x, y: row * spacing.y });
  }
  return out;
}
