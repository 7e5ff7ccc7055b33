import {
  applyChanges,
  invertChanges,
  jsonSafeChanges,
  type ChangeRefusal,
  type Patch,
  type PatchChange,
} from '../../../patches';

/** A change that cannot apply, naming which one and why (nothing of its batch applied). */
export class PatchChangeError extends Error {
  constructor(readonly refusal: ChangeRefusal) {
    super(`change ${refusal.index} (${refusal.op}): ${refusal.reason}`);
    this.name = 'PatchChangeError';
  }
}

/**
 * Applies a batch with patches' applyChanges (the function the runtime session uses), all or
 * nothing: the new patch, or PatchChangeError for the first refused change.
 */
export function applyOrThrow(patch: Patch, changes: readonly PatchChange[]): Patch {
  const r = applyChanges(patch, changes);
  if (r.refused.length) throw new PatchChangeError(r.refused[0]!);
  return r.patch;
}

/**
 * One undoable step: the edit as change objects. Undo applies `inverse` and redo `changes`, with
 * the same function and the same objects the runtime gets, so both sides compute the same patch.
 */
export interface HistoryEntry {
  label: string;
  changes: PatchChange[];
  inverse: PatchChange[];
  /** Edits with the same key within `coalesceMs` merge into one step (a slider drag). */
  coalesceKey?: string;
  at: number;
}

export interface History {
  past: HistoryEntry[];
  future: HistoryEntry[];
  /** Steps kept; older ones are dropped. */
  limit: number;
}

/** An empty history keeping `limit` steps (at least 100, as the editor promises). */
export function createHistory(limit = 200): History {
  return { past: [], future: [], limit: Math.max(100, limit) };
}

export interface CommitOptions {
  label?: string;
  coalesceKey?: string;
  /** Clock reading in ms (injected so tests decide what "within" means). */
  now?: number;
  coalesceMs?: number;
}

/** The outcome of an edit, undo or redo: the new patch and history, and what to send the runtime. */
export interface HistoryResult {
  patch: Patch;
  history: History;
  /** The change objects that bring the runtime from the old patch to the new one. */
  changes: PatchChange[];
}

/**
 * Applies changes as one undoable step. Consecutive commits with the same coalesceKey within
 * coalesceMs (default 800) merge, so dragging a slider is one step, not a hundred. Throws
 * PatchChangeError (nothing applied) when a change does not fit the patch.
 */
export function commit(
  patch: Patch,
  history: History,
  edit: PatchChange[],
  opts: CommitOptions = {},
): HistoryResult {
  if (edit.length === 0) return { patch, history, changes: edit };
  // Kept and sent in JSON form, so the runtime (which gets JSON) applies exactly these.
  const changes = jsonSafeChanges(edit);
  const next = applyOrThrow(patch, changes);
  const inverse = invertChanges(patch, changes);
  const now = opts.now ?? Date.now();
  const last = history.past[history.past.length - 1];
  let past: HistoryEntry[];
  if (
    last &&
    opts.coalesceKey &&
    last.coalesceKey === opts.coalesceKey &&
    now - last.at <= (opts.coalesceMs ?? 800)
  ) {
    const merged: HistoryEntry = {
      ...last,
      changes: [...last.changes, ...changes],
      inverse: [...inverse, ...last.inverse],
      at: now,
    };
    past = [...history.past.slice(0, -1), merged];
  } else {
    const entry: HistoryEntry = {
      label: opts.label ?? describeChanges(changes),
      changes,
      inverse,
      at: now,
    };
    if (opts.coalesceKey) entry.coalesceKey = opts.coalesceKey;
    past = [...history.past, entry];
    if (past.length > history.limit) past = past.slice(past.length - history.limit);
  }
  return { patch: next, history: { ...history, past, future: [] }, changes };
}

/** Undoes the last step, or returns null when there is nothing to undo. */
export function undo(patch: Patch, history: History): HistoryResult | null {
  const entry = history.past[history.past.length - 1];
  if (!entry) return null;
  return {
    patch: applyOrThrow(patch, entry.inverse),
    history: { ...history, past: history.past.slice(0, -1), future: [entry, ...history.future] },
    changes: entry.inverse,
  };
}

/** Redoes the last undone step, or returns null. */
export function redo(patch: Patch, history: History): HistoryResult | null {
  const entry = history.future[0];
  if (!entry) return null;
  return {
    patch: applyOrThrow(patch, entry.changes),
    history: {
      ...history,
      past: [...history.past, { ...entry, coalesceKey: undefined }],
      future: history.future.slice(1),
    },
    changes: entry.changes,
  };
}

/** A short label for a list of changes ("Add node", "Edit params"), shown in the undo tooltip. */
export function describeChanges(changes: readonly PatchChange[]): string {
  const ops = new Set(changes.map((c) => c.op));
  if (ops.size === 1) {
    const [op] = ops;
    const names: Record<string, string> = {
      'node.add': 'Add node',
      'node.remove': 'Delete node',
      'node.params': 'Edit params',
      'node.move': 'Move',
      'node.ui': 'Node appearance',
      'edge.add': 'Connect',
      'edge.remove': 'Disconnect',
      metadata: 'Rename patch',
    };
    return names[op!] ?? 'Edit';
  }
  if (ops.has('node.add')) return 'Paste';
  if (ops.has('node.remove')) return 'Delete';
  if (ops.has('edge.add')) return 'Connect';
  return 'Edit';
}
