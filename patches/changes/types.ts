import type { Patch, PatchEdge, PatchNode } from '../format/types';

/**
 * One edit to a patch. The editor makes these from its own edits, applies them locally, keeps
 * them for undo/redo and sends them to the runtime; the runtime session applies the same objects
 * with the same function (`applyChanges`); Scope's data-channel parameters become `node.params`
 * changes. Plain JSON: a change survives `JSON.stringify` unchanged (so `unset`, not
 * `undefined`, removes a key).
 */
export type PatchChange =
  /** `at`: where in `nodes` it goes (default: the end); undo puts a removed node back in its place. */
  | { op: 'node.add'; node: PatchNode; at?: number }
  /** Removes the node and every edge that touches it. */
  | { op: 'node.remove'; id: string }
  /** Params merged by name (shallow) into the node's params; `unset` names keys to remove. */
  | { op: 'node.params'; id: string; params: Record<string, unknown>; unset?: string[] }
  | { op: 'node.move'; id: string; position: { x: number; y: number } }
  /** Editor-only state merged into `node.ui`; `unset` names keys to remove. */
  | { op: 'node.ui'; id: string; ui: Record<string, unknown>; unset?: string[] }
  | { op: 'edge.add'; edge: PatchEdge; at?: number }
  | { op: 'edge.remove'; id: string }
  /** Merged into the patch metadata; `unset` names optional keys to remove. */
  | { op: 'metadata'; metadata: Record<string, unknown>; unset?: string[] };

export type PatchChangeOp = PatchChange['op'];

/** Every op, in the order the README lists them. */
export const PATCH_CHANGE_OPS: readonly PatchChangeOp[] = [
  'node.add',
  'node.remove',
  'node.params',
  'node.move',
  'node.ui',
  'edge.add',
  'edge.remove',
  'metadata',
];

/** A change that did not apply: which one (index in its batch), why, and the node or edge it concerns. */
export interface ChangeRefusal {
  index: number;
  /** The change's op as sent (may be an unknown string). */
  op: string;
  reason: string;
  node?: string;
  edge?: string;
}

export interface ApplyChangesResult {
  /** The patch with every applied change (the input patch when none applied; never mutated). */
  patch: Patch;
  /** Indices of the changes that applied, in order. */
  applied: number[];
  /** The changes that did not, each with its reason. */
  refused: ChangeRefusal[];
}
