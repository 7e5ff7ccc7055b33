import { checkJsonValue } from '../format/guard';
import {
  MAX_EDGES,
  MAX_NODES,
  patchEdgeSchema,
  patchMetadataSchema,
  patchNodeSchema,
} from '../format/schema';
import type { Patch, PatchEdge, PatchMetadata, PatchNode } from '../format/types';
import type { ApplyChangesResult, ChangeRefusal } from './types';

/**
 * The one implementation of patch edits, used by the editor (its document and undo history),
 * the runtime session (the authoritative patch) and Scope's data-channel parameters.
 *
 * Pure and total: the input patch is never mutated, nothing throws whatever `changes` holds
 * (values from a socket are `unknown` until checked here), and each change either applies or is
 * refused with a reason that names the node or edge. Changes apply in order, each on the result
 * of the ones before; a refused change is skipped and the rest still apply. Callers that want a
 * batch to be all or nothing (the editor's undo steps, the session's edits) check `refused`.
 *
 * Values are copied in (later mutation of a change does not reach the patch) and must be plain
 * JSON; a `__proto__`, `constructor` or `prototype` key at the top of a merged object is
 * skipped, one deeper refuses the change. Unchanged nodes and edges are shared with the input.
 *
 * @example
 * const { patch, refused } = applyChanges(p, [{ op: 'node.params', id: 'fx', params: { strength: 1 } }]);
 * if (refused.length) console.log(refused[0].reason); // 'no node "fx"'
 */
export function applyChanges(patch: Patch, changes: readonly unknown[]): ApplyChangesResult {
  const applied: number[] = [];
  const refused: ChangeRefusal[] = [];
  if (!Array.isArray(changes)) {
    refused.push({ index: 0, op: '', reason: 'changes must be a list' });
    return { patch, applied, refused };
  }
  let nodes = patch.nodes;
  let edges = patch.edges;
  let metadata = patch.metadata;
  // Copy-on-write: the arrays are copied once, on the first change that touches them.
  let ownNodes = false;
  let ownEdges = false;
  const writableNodes = (): PatchNode[] => {
    if (!ownNodes) [nodes, ownNodes] = [[...nodes], true];
    return nodes;
  };
  const writableEdges = (): PatchEdge[] => {
    if (!ownEdges) [edges, ownEdges] = [[...edges], true];
    return edges;
  };
  const nodeIndex = (id: string): number => nodes.findIndex((n) => n.id === id);

  changes.forEach((raw: unknown, index) => {
    const op = isObject(raw) && typeof raw.op === 'string' ? raw.op : '';
    const refuse = (reason: string, at: { node?: string; edge?: string } = {}): void => {
      refused.push({ index, op, reason, ...at });
    };
    if (!isObject(raw)) return refuse('a change must be an object with an "op"');
    const c = raw as Record<string, unknown>;
    switch (op) {
      case 'node.add': {
        const parsed = patchNodeSchema.safeParse(c.node);
        const id = isObject(c.node) && typeof c.node.id === 'string' ? c.node.id : undefined;
        const at = id !== undefined ? { node: id } : {};
        if (!parsed.success) return refuse(`node.add: ${firstIssue(parsed.error, 'node')}`, at);
        const problem = jsonProblem(c.node);
        if (problem) return refuse(`node.add "${id}": ${problem}`, at);
        if (nodeIndex(id!) >= 0) return refuse(`a node "${id}" already exists`, at);
        if (nodes.length >= MAX_NODES) return refuse(`a patch holds at most ${MAX_NODES} nodes`, at);
        const where = position(c.at, nodes.length);
        if (where === null) return refuse(`node.add "${id}": "at" must be a whole number ≥ 0`, at);
        writableNodes().splice(where, 0, structuredClone(c.node) as PatchNode);
        break;
      }
      case 'node.remove': {
        if (typeof c.id !== 'string') return refuse('node.remove needs an "id" string');
        const i = nodeIndex(c.id);
        if (i < 0) return refuse(`no node "${c.id}"`, { node: c.id });
        writableNodes().splice(i, 1);
        // A patch never holds an edge to a removed node: its edges go with it.
        if (edges.some((e) => touches(e, c.id as string)))
          [edges, ownEdges] = [edges.filter((e) => !touches(e, c.id as string)), true];
        break;
      }
      case 'node.params':
      case 'node.ui': {
        const field = op === 'node.params' ? 'params' : 'ui';
        if (typeof c.id !== 'string') return refuse(`${op} needs an "id" string`);
        const at = { node: c.id };
        const i = nodeIndex(c.id);
        if (i < 0) return refuse(`no node "${c.id}"`, at);
        const node = nodes[i]!;
        const merged = mergeObject(
          (op === 'node.params' ? node.params : node.ui) ?? {},
          c[field],
          c.unset,
          `${op} "${c.id}"`,
        );
        if (typeof merged === 'string') return refuse(merged, at);
        writableNodes()[i] = { ...node, [field]: merged };
        break;
      }
      case 'node.move': {
        if (typeof c.id !== 'string') return refuse('node.move needs an "id" string');
        const at = { node: c.id };
        const i = nodeIndex(c.id);
        if (i < 0) return refuse(`no node "${c.id}"`, at);
        const p = c.position;
        if (!isObject(p) || !Number.isFinite(p.x) || !Number.isFinite(p.y))
          return refuse(`node.move "${c.id}": position must be {x, y} with finite numbers`, at);
        writableNodes()[i] = { ...nodes[i]!, position: { x: p.x as number, y: p.y as number } };
        break;
      }
      case 'edge.add': {
        const parsed = patchEdgeSchema.safeParse(c.edge);
        const id = isObject(c.edge) && typeof c.edge.id === 'string' ? c.edge.id : undefined;
        const at = id !== undefined ? { edge: id } : {};
        if (!parsed.success) return refuse(`edge.add: ${firstIssue(parsed.error, 'edge')}`, at);
        const problem = jsonProblem(c.edge);
        if (problem) return refuse(`edge.add "${id}": ${problem}`, at);
        const e = c.edge as PatchEdge;
        if (edges.some((x) => x.id === e.id)) return refuse(`an edge "${e.id}" already exists`, at);
        if (nodeIndex(e.from.node) < 0)
          return refuse(`edge "${e.id}": source node "${e.from.node}" does not exist`, at);
        if (nodeIndex(e.to.node) < 0)
          return refuse(`edge "${e.id}": target node "${e.to.node}" does not exist`, at);
        if (edges.length >= MAX_EDGES) return refuse(`a patch holds at most ${MAX_EDGES} edges`, at);
        const where = position(c.at, edges.length);
        if (where === null) return refuse(`edge.add "${e.id}": "at" must be a whole number ≥ 0`, at);
        writableEdges().splice(where, 0, structuredClone(e));
        break;
      }
      case 'edge.remove': {
        if (typeof c.id !== 'string') return refuse('edge.remove needs an "id" string');
        const i = edges.findIndex((e) => e.id === c.id);
        if (i < 0) return refuse(`no edge "${c.id}"`, { edge: c.id });
        writableEdges().splice(i, 1);
        break;
      }
      case 'metadata': {
        const merged = mergeObject(metadata, c.metadata, c.unset, 'metadata');
        if (typeof merged === 'string') return refuse(merged);
        const check = patchMetadataSchema.safeParse(merged);
        if (!check.success) return refuse(`metadata: ${firstIssue(check.error, 'metadata')}`);
        metadata = merged as PatchMetadata;
        break;
      }
      default:
        return refuse(`unknown op ${JSON.stringify(op || c.op) ?? String(c.op)}`);
    }
    applied.push(index);
    return undefined;
  });
  if (!applied.length) return { patch, applied, refused };
  return { patch: { ...patch, metadata, nodes, edges }, applied, refused };
}

/** Keys that change prototypes when assigned; skipped at the top of a merge. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where an insert goes: `at` clamped to the list (the end when absent); null when `at` is not an index. */
function position(at: unknown, length: number): number | null {
  if (at === undefined) return length;
  if (typeof at !== 'number' || !Number.isInteger(at) || at < 0) return null;
  return Math.min(at, length);
}

function touches(e: PatchEdge, node: string): boolean {
  return e.from.node === node || e.to.node === node;
}

/** Why a value cannot go into a patch (not plain JSON, too deep, a `__proto__` key), or null. */
function jsonProblem(value: unknown): string | null {
  const issues = checkJsonValue(value);
  if (!issues.length) return null;
  const first = issues[0]!;
  return first.pathText ? `${first.pathText}: ${first.message}` : first.message;
}

/**
 * `base` with `patch`'s keys set (an `undefined` value removes the key, for in-process
 * callers) and `unset`'s keys removed. A string is the reason it could not be done.
 */
function mergeObject(
  base: Record<string, unknown>,
  patch: unknown,
  unset: unknown,
  what: string,
): Record<string, unknown> | string {
  if (!isObject(patch)) return `${what}: expected an object of values by name`;
  if (unset !== undefined && (!Array.isArray(unset) || !unset.every((k) => typeof k === 'string')))
    return `${what}: "unset" must be a list of names`;
  const out: Record<string, unknown> = { ...base };
  for (const key of (unset as string[] | undefined) ?? []) delete out[key];
  for (const key of Object.keys(patch)) {
    if (FORBIDDEN.has(key)) continue;
    const value = patch[key];
    if (value === undefined) {
      delete out[key];
      continue;
    }
    const problem = jsonProblem(value);
    if (problem) return `${what}: "${key}": ${problem}`;
    out[key] = structuredClone(value);
  }
  return out;
}

function firstIssue(error: { issues: { path: PropertyKey[]; message: string }[] }, what: string): string {
  const issue = error.issues[0];
  if (!issue) return `${what} is not valid`;
  const path = issue.path.map(String).join('.');
  return `${path ? `${what}.${path}` : what}: ${issue.message}`;
}
