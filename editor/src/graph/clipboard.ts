import type { Patch, PatchEdge, PatchNode } from '../../../patches';
import type { PatchChange } from '../../../runtime/protocol';
import { edgeId, freshId } from './create';

/** What goes on the system clipboard: JSON, so a selection pastes across patches and tabs. */
export interface ClipboardPayload {
  format: 'patchbay-clipboard';
  version: 1;
  nodes: PatchNode[];
  /** Only edges between copied nodes. */
  edges: PatchEdge[];
}

/** Clipboard text larger than this is refused before parsing (a pasted novel is not a patch). */
export const CLIPBOARD_MAX_CHARS = 2_000_000;

/** Copies the selected nodes and the edges among them. */
export function copySelection(patch: Patch, nodeIds: readonly string[]): ClipboardPayload {
  const ids = new Set(nodeIds);
  return {
    format: 'patchbay-clipboard',
    version: 1,
    nodes: structuredClone(patch.nodes.filter((n) => ids.has(n.id))),
    edges: structuredClone(patch.edges.filter((e) => ids.has(e.from.node) && ids.has(e.to.node))),
  };
}

/** The clipboard text for a payload. */
export function clipboardText(payload: ClipboardPayload): string {
  return JSON.stringify(payload);
}

/** Parses clipboard text; a string that is not ours gives a reason instead of throwing. */
export function parseClipboard(
  text: string,
): { ok: true; payload: ClipboardPayload } | { ok: false; error: string } {
  if (text.length > CLIPBOARD_MAX_CHARS)
    return { ok: false, error: 'clipboard text is too large to be Patchbay nodes' };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the clipboard does not hold Patchbay nodes (not JSON)' };
  }
  const d = data as Partial<ClipboardPayload> | null;
  if (!d || typeof d !== 'object' || d.format !== 'patchbay-clipboard') {
    return { ok: false, error: 'the clipboard does not hold Patchbay nodes' };
  }
  if (!Array.isArray(d.nodes) || !Array.isArray(d.edges))
    return { ok: false, error: 'clipboard nodes/edges are not lists' };
  for (const [i, n] of d.nodes.entries()) {
    const ok =
      n &&
      typeof n === 'object' &&
      typeof n.id === 'string' &&
      typeof n.type === 'string' &&
      n.params &&
      typeof n.params === 'object' &&
      n.position &&
      typeof n.position.x === 'number' &&
      typeof n.position.y === 'number';
    if (!ok) return { ok: false, error: `clipboard node ${i} is missing id, type, params or position` };
  }
  for (const [i, e] of d.edges.entries()) {
    const ok =
      e &&
      typeof e.id === 'string' &&
      e.from &&
      e.to &&
      typeof e.from.node === 'string' &&
      typeof e.to.node === 'string';
    if (!ok) return { ok: false, error: `clipboard edge ${i} is malformed` };
  }
  return { ok: true, payload: d as ClipboardPayload };
}

/**
 * The changes that paste a payload into a patch: every node gets a fresh id (so pasting twice,
 * or into the patch it came from, never collides), positions shift by `offset`, and edges are
 * rewired to the new ids. Returns the changes and the new node ids (to select them).
 */
export function pasteChanges(
  patch: Patch,
  payload: ClipboardPayload,
  offset: { x: number; y: number } = { x: 40, y: 40 },
): { changes: PatchChange[]; nodeIds: string[] } {
  const taken = new Set(patch.nodes.map((n) => n.id));
  const rename = new Map<string, string>();
  const changes: PatchChange[] = [];
  for (const n of payload.nodes) {
    const id = freshId(n.type, taken);
    taken.add(id);
    rename.set(n.id, id);
    const node: PatchNode = {
      ...structuredClone(n),
      id,
      position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
    };
    changes.push({ op: 'node.add', node });
  }
  const edgeIds = new Set(patch.edges.map((e) => e.id));
  for (const e of payload.edges) {
    const fromNode = rename.get(e.from.node);
    const toNode = rename.get(e.to.node);
    if (!fromNode || !toNode) continue;
    const from = { node: fromNode, port: e.from.port };
    const to = { node: toNode, port: e.to.port };
    const id = edgeId(from, to, edgeIds);
    edgeIds.add(id);
    changes.push({ op: 'edge.add', edge: { ...structuredClone(e), id, from, to } });
  }
  return { changes, nodeIds: [...rename.values()] };
}
