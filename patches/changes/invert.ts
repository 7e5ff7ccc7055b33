import type { Patch } from '../format/types';
import { applyChanges } from './apply';
import type { PatchChange } from './types';

/**
 * The changes that undo `changes` when applied to the patch they produced; `before` is the
 * patch they were applied to. The editor sends these to the runtime on undo, so the runtime
 * follows it exactly. Changes that did not apply to `before` have no inverse (they changed
 * nothing). Keys a change added are removed again with `unset` (JSON-safe, unlike `undefined`).
 */
export function invertChanges(before: Patch, changes: readonly PatchChange[]): PatchChange[] {
  const inverse: PatchChange[] = [];
  let current = before;
  for (const change of changes) {
    const step = applyChanges(current, [change]);
    if (step.refused.length) continue;
    inverse.unshift(...invertOne(current, change));
    current = step.patch;
  }
  return inverse;
}

/** The old values of `keys` in `obj`, and the keys it did not have (to unset). */
function previous(
  obj: Record<string, unknown> | undefined,
  keys: string[],
): { values: Record<string, unknown>; unset: string[] } {
  const values: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const k of keys) {
    if (obj && Object.prototype.hasOwnProperty.call(obj, k)) values[k] = structuredClone(obj[k]);
    else unset.push(k);
  }
  return { values, unset };
}

/** The keys a merge change touches: set (including `undefined`, which removes) and unset. */
function touched(values: Record<string, unknown>, unset: string[] | undefined): string[] {
  return [...new Set([...Object.keys(values), ...(unset ?? [])])].filter(
    (k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype',
  );
}

function invertOne(before: Patch, change: PatchChange): PatchChange[] {
  switch (change.op) {
    case 'node.add':
      return [{ op: 'node.remove', id: change.node.id }];
    case 'node.remove': {
      // Back where they were: the node at its index, its edges at theirs (ascending, so each
      // insert lands in a list that already holds the ones before it).
      const at = before.nodes.findIndex((n) => n.id === change.id);
      const edges: PatchChange[] = [];
      before.edges.forEach((edge, i) => {
        if (edge.from.node === change.id || edge.to.node === change.id)
          edges.push({ op: 'edge.add', edge: structuredClone(edge), at: i });
      });
      return [{ op: 'node.add', node: structuredClone(before.nodes[at]!), at }, ...edges];
    }
    case 'node.params': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      const { values, unset } = previous(node.params, touched(change.params, change.unset));
      return [{ op: 'node.params', id: change.id, params: values, ...(unset.length ? { unset } : {}) }];
    }
    case 'node.move': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      return [{ op: 'node.move', id: change.id, position: { x: node.position.x, y: node.position.y } }];
    }
    case 'node.ui': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      const { values, unset } = previous(node.ui, touched(change.ui, change.unset));
      return [{ op: 'node.ui', id: change.id, ui: values, ...(unset.length ? { unset } : {}) }];
    }
    case 'edge.add':
      return [{ op: 'edge.remove', id: change.edge.id }];
    case 'edge.remove': {
      const at = before.edges.findIndex((e) => e.id === change.id);
      return [{ op: 'edge.add', edge: structuredClone(before.edges[at]!), at }];
    }
    case 'metadata': {
      const { values, unset } = previous(before.metadata, touched(change.metadata, change.unset));
      return [{ op: 'metadata', metadata: values, ...(unset.length ? { unset } : {}) }];
    }
  }
}

/** The changes that remove nodes together with their edges (edges first, then the nodes). */
export function removeNodesChanges(
  patch: Patch,
  nodeIds: readonly string[],
  edgeIds: readonly string[] = [],
): PatchChange[] {
  const ids = new Set(nodeIds);
  const edges = new Set(edgeIds);
  for (const e of patch.edges) if (ids.has(e.from.node) || ids.has(e.to.node)) edges.add(e.id);
  return [
    ...[...edges]
      .filter((id) => patch.edges.some((e) => e.id === id))
      .map((id) => ({ op: 'edge.remove' as const, id })),
    ...patch.nodes.filter((n) => ids.has(n.id)).map((n) => ({ op: 'node.remove' as const, id: n.id })),
  ];
}

/**
 * The same changes in their JSON form: a merged key set to `undefined` (which removes it here,
 * but vanishes in JSON) is moved to `unset`, so the runtime, fed the JSON text, does the same.
 * The editor sends and keeps changes in this form.
 */
export function jsonSafeChanges(changes: readonly PatchChange[]): PatchChange[] {
  return changes.map((c) => {
    if (c.op !== 'node.params' && c.op !== 'node.ui' && c.op !== 'metadata') return c;
    const values = c.op === 'node.params' ? c.params : c.op === 'node.ui' ? c.ui : c.metadata;
    const gone = Object.keys(values).filter((k) => values[k] === undefined);
    if (!gone.length) return c;
    const kept = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    const unset = [...new Set([...(c.unset ?? []), ...gone])];
    if (c.op === 'node.params') return { ...c, params: kept, unset };
    if (c.op === 'node.ui') return { ...c, ui: kept, unset };
    return { ...c, metadata: kept, unset };
  });
}
