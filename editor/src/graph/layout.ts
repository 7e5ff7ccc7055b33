import type { Patch } from '../../../patches';
import type { PatchChange } from '../../../runtime/protocol';

export interface LayoutOptions {
  columnWidth?: number;
  rowHeight?: number;
  origin?: { x: number; y: number };
}

/**
 * Left-to-right layered layout: each node's column is the length of the longest edge path
 * reaching it (sources on the left, outputs on the right); within a column nodes keep their
 * current vertical order. Edges in a cycle are ignored for layering. Returns node.move changes
 * for the nodes that move.
 */
export function autoLayout(patch: Patch, opts: LayoutOptions = {}): PatchChange[] {
  const colW = opts.columnWidth ?? 280;
  const rowH = opts.rowHeight ?? 170;
  const origin = opts.origin ?? { x: 0, y: 0 };
  const ids = patch.nodes.map((n) => n.id);
  const indeg = new Map(ids.map((id) => [id, 0]));
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of patch.edges) {
    if (!indeg.has(e.from.node) || !indeg.has(e.to.node) || e.from.node === e.to.node) continue;
    next.get(e.from.node)!.push(e.to.node);
    indeg.set(e.to.node, indeg.get(e.to.node)! + 1);
  }
  // Kahn's algorithm gives longest-path layers; nodes left over sit in a cycle and get layer 0.
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const queue = ids.filter((id) => indeg.get(id) === 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const to of next.get(id)!) {
      layer.set(to, Math.max(layer.get(to)!, layer.get(id)! + 1));
      indeg.set(to, indeg.get(to)! - 1);
      if (indeg.get(to) === 0) queue.push(to);
    }
  }
  const columns = new Map<number, typeof patch.nodes>();
  for (const n of patch.nodes) {
    const l = layer.get(n.id)!;
    columns.set(l, [...(columns.get(l) ?? []), n]);
  }
  const changes: PatchChange[] = [];
  for (const [l, nodes] of columns) {
    const sorted = [...nodes].sort((a, b) => a.position.y - b.position.y);
    sorted.forEach((n, row) => {
      const position = { x: origin.x + l * colW, y: origin.y + row * rowH };
      if (position.x !== n.position.x || position.y !== n.position.y)
        changes.push({ op: 'node.move', id: n.id, position });
    });
  }
  return changes;
}

/** The bounding box of the patch's nodes (for placing pasted or imported nodes beside them). */
export function patchBounds(patch: Patch): { x: number; y: number; width: number; height: number } | null {
  if (!patch.nodes.length) return null;
  const xs = patch.nodes.map((n) => n.position.x);
  const ys = patch.nodes.map((n) => n.position.y);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/**
 * A spot near `at` where a new node does not sit on top of another one: moves down a row at a
 * time (nodes are about `w`×`h`), so adding several nodes in a row stacks them readably.
 */
export function freeSpot(
  patch: Patch,
  at: { x: number; y: number },
  w = 240,
  h = 150,
): { x: number; y: number } {
  const pos = { x: Math.round(at.x), y: Math.round(at.y) };
  for (let i = 0; i < 200; i++) {
    const hit = patch.nodes.some(
      (n) => Math.abs(n.position.x - pos.x) < w && Math.abs(n.position.y - pos.y) < h,
    );
    if (!hit) return pos;
    pos.y += h;
  }
  return pos;
}
