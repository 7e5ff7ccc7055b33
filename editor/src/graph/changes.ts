import { produce, type Draft } from 'immer';
import type { Patch, PatchEdge, PatchNode } from '../../../patches';
import type { PatchChange } from '../../../runtime/protocol';

/** A change that cannot apply, naming which one and why. */
export class PatchChangeError extends Error {
  constructor(
    readonly index: number,
    readonly change: PatchChange,
    reason: string,
  ) {
    super(`change ${index} (${change.op}): ${reason}`);
    this.name = 'PatchChangeError';
  }
}

function findNode(draft: Draft<Patch>, id: string): Draft<PatchNode> | undefined {
  return draft.nodes.find((n) => n.id === id);
}

/** Keys a user object may not set (prototype pollution through a merge). */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (FORBIDDEN.has(k)) continue;
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
}

/**
 * Applies one change to an immer draft of a patch (mutating it). Removing a node also removes
 * the edges that touch it, so a patch never holds a dangling edge. Throws PatchChangeError.
 */
export function applyChangeToDraft(draft: Draft<Patch>, change: PatchChange, index = 0): void {
  const fail = (reason: string): never => {
    throw new PatchChangeError(index, change, reason);
  };
  switch (change.op) {
    case 'node.add': {
      if (findNode(draft, change.node.id)) fail(`a node "${change.node.id}" already exists`);
      draft.nodes.push(structuredClone(change.node) as Draft<PatchNode>);
      return;
    }
    case 'node.remove': {
      const i = draft.nodes.findIndex((n) => n.id === change.id);
      if (i < 0) fail(`no node "${change.id}"`);
      draft.nodes.splice(i, 1);
      draft.edges = draft.edges.filter((e) => e.from.node !== change.id && e.to.node !== change.id);
      return;
    }
    case 'node.params': {
      const node = findNode(draft, change.id) ?? fail(`no node "${change.id}"`);
      mergeInto(node.params, structuredClone(change.params));
      return;
    }
    case 'node.move': {
      const node = findNode(draft, change.id) ?? fail(`no node "${change.id}"`);
      node.position = { x: change.position.x, y: change.position.y };
      return;
    }
    case 'node.ui': {
      const node = findNode(draft, change.id) ?? fail(`no node "${change.id}"`);
      node.ui = node.ui ?? {};
      mergeInto(node.ui, structuredClone(change.ui));
      return;
    }
    case 'edge.add': {
      const e = change.edge;
      if (draft.edges.some((x) => x.id === e.id)) fail(`an edge "${e.id}" already exists`);
      if (!findNode(draft, e.from.node)) fail(`edge source node "${e.from.node}" does not exist`);
      if (!findNode(draft, e.to.node)) fail(`edge target node "${e.to.node}" does not exist`);
      draft.edges.push(structuredClone(e) as Draft<PatchEdge>);
      return;
    }
    case 'edge.remove': {
      const i = draft.edges.findIndex((e) => e.id === change.id);
      if (i < 0) fail(`no edge "${change.id}"`);
      draft.edges.splice(i, 1);
      return;
    }
    case 'metadata': {
      mergeInto(draft.metadata as Record<string, unknown>, structuredClone(change.metadata));
      return;
    }
    default: {
      const op = (change as { op?: unknown }).op;
      fail(`unknown op ${JSON.stringify(op)}`);
    }
  }
}

/**
 * Applies changes to a patch and returns the new patch (the input is untouched). All or
 * nothing: if one change fails, PatchChangeError is thrown and no change is applied.
 *
 * @example
 * const next = applyChanges(patch, [{ op: 'node.move', id: 'cam', position: { x: 0, y: 0 } }]);
 */
export function applyChanges(patch: Patch, changes: readonly PatchChange[]): Patch {
  return produce(patch, (draft) => {
    changes.forEach((c, i) => applyChangeToDraft(draft, c, i));
  });
}

/**
 * The changes that undo `changes` when applied to the patch they produced; `before` is the
 * patch they were applied to. The runtime gets these on undo, so it follows the editor exactly.
 */
export function invertChanges(before: Patch, changes: readonly PatchChange[]): PatchChange[] {
  const inverse: PatchChange[] = [];
  let current = before;
  for (const change of changes) {
    inverse.unshift(...invertOne(current, change));
    current = applyChanges(current, [change]);
  }
  return inverse;
}

function invertOne(before: Patch, change: PatchChange): PatchChange[] {
  switch (change.op) {
    case 'node.add':
      return [{ op: 'node.remove', id: change.node.id }];
    case 'node.remove': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      const edges = before.edges.filter((e) => e.from.node === change.id || e.to.node === change.id);
      return [
        { op: 'node.add', node: structuredClone(node) },
        ...edges.map((edge) => ({ op: 'edge.add' as const, edge: structuredClone(edge) })),
      ];
    }
    case 'node.params': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      const old: Record<string, unknown> = {};
      for (const k of Object.keys(change.params)) old[k] = structuredClone(node.params[k]);
      return [{ op: 'node.params', id: change.id, params: old }];
    }
    case 'node.move': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      return [{ op: 'node.move', id: change.id, position: { ...node.position } }];
    }
    case 'node.ui': {
      const node = before.nodes.find((n) => n.id === change.id)!;
      const old: Record<string, unknown> = {};
      for (const k of Object.keys(change.ui)) old[k] = structuredClone(node.ui?.[k]);
      return [{ op: 'node.ui', id: change.id, ui: old }];
    }
    case 'edge.add':
      return [{ op: 'edge.remove', id: change.edge.id }];
    case 'edge.remove': {
      const edge = before.edges.find((e) => e.id === change.id)!;
      return [{ op: 'edge.add', edge: structuredClone(edge) }];
    }
    case 'metadata': {
      const old: Record<string, unknown> = {};
      for (const k of Object.keys(change.metadata)) old[k] = structuredClone(before.metadata[k]);
      return [{ op: 'metadata', metadata: old }];
    }
  }
}

/** The changes that remove nodes together with their edges (edges first, as the runtime expects). */
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
