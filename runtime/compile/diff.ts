import { registry as builtinRegistry, type NodeRegistry } from '../../nodes';
import type { Plan, PlanDiff, PlanEdge, PlanNode } from './types';
import { deepEqual, setKey } from './util';

/**
 * What to change to go from the running plan to a new one, for live edits that never stop the
 * show. A node restarts (stop + start) when its type, placement, disabled state, degraded
 * features or any `load`-marked param changes; a change to `live` params only is an `update`
 * carrying just the changed keys. Param marks come from the node definitions in `nodes`
 * (a param the definition does not mark is treated as `load`, the safe choice).
 *
 * Order: `start` and `keep` follow the new plan's order (sources first); `stop` runs
 * downstream first (the old plan's order reversed), so no running node is fed by a stopped one.
 *
 * @example
 * const d = diff(running, next);
 * if (!d.empty) engine.apply(d);
 */
export function diff(oldPlan: Plan, newPlan: Plan, nodes: NodeRegistry = builtinRegistry): PlanDiff {
  const before = new Map(oldPlan.nodes.map((n) => [n.id, n]));
  const after = new Map(newPlan.nodes.map((n) => [n.id, n]));
  const start: string[] = [];
  const keep: string[] = [];
  const restarted = new Set<string>();
  const update: Record<string, Record<string, unknown>> = {};

  for (const next of newPlan.nodes) {
    const prev = before.get(next.id);
    if (!prev) {
      start.push(next.id);
      continue;
    }
    if (needsRestart(prev, next, nodes)) {
      restarted.add(next.id);
      start.push(next.id);
      continue;
    }
    keep.push(next.id);
    // A disabled placeholder runs nothing, so its params have nobody to go to.
    if (next.disabled) continue;
    const changed = liveChanges(prev, next, nodes);
    if (changed) setKey(update, next.id, changed);
  }
  const stop = oldPlan.nodes
    .filter((n) => !after.has(n.id) || restarted.has(n.id))
    .map((n) => n.id)
    .reverse();

  const edgesBefore = edgeMap(oldPlan);
  const edgesAfter = edgeMap(newPlan);
  const edgesAdded: string[] = [];
  const edgesRemoved: string[] = [];
  for (const [id, e] of edgesAfter) {
    const old = edgesBefore.get(id);
    if (!old || !deepEqual(old, e)) edgesAdded.push(id);
  }
  for (const [id, e] of edgesBefore) {
    const now = edgesAfter.get(id);
    if (!now || !deepEqual(now, e)) edgesRemoved.push(id);
  }

  const tracksChanged =
    !deepEqual(oldPlan.inputTracks, newPlan.inputTracks) ||
    !deepEqual(oldPlan.outputTracks, newPlan.outputTracks);
  const empty =
    start.length === 0 &&
    stop.length === 0 &&
    Object.keys(update).length === 0 &&
    edgesAdded.length === 0 &&
    edgesRemoved.length === 0 &&
    !tracksChanged;
  return { start, stop, keep, update, edgesAdded, edgesRemoved, tracksChanged, empty };
}

function needsRestart(prev: PlanNode, next: PlanNode, nodes: NodeRegistry): boolean {
  if (prev.type !== next.type) return true;
  if (Boolean(prev.disabled) !== Boolean(next.disabled)) return true;
  // Both placeholders: nothing runs before or after, so there is nothing to restart.
  if (prev.disabled && next.disabled) return false;
  if (!deepEqual(prev.placement, next.placement)) return true;
  if (!deepEqual(prev.degraded, next.degraded)) return true;
  if (!deepEqual(prev.pipeline, next.pipeline)) return true;
  const meta = paramMarks(next.type, nodes);
  for (const key of paramKeys(prev, next)) {
    if (meta.get(key) === 'live') continue;
    if (!deepEqual(prev.params[key], next.params[key])) return true;
  }
  return false;
}

function liveChanges(
  prev: PlanNode,
  next: PlanNode,
  nodes: NodeRegistry,
): Record<string, unknown> | undefined {
  const meta = paramMarks(next.type, nodes);
  let out: Record<string, unknown> | undefined;
  for (const key of paramKeys(prev, next)) {
    if (meta.get(key) !== 'live' || deepEqual(prev.params[key], next.params[key])) continue;
    out ??= {};
    setKey(out, key, next.params[key]);
  }
  return out;
}

function paramMarks(type: string, nodes: NodeRegistry): Map<string, 'live' | 'load'> {
  const def = nodes.get(type);
  return new Map(def ? Object.entries(def.paramMeta).map(([k, m]) => [k, m.mark]) : []);
}

function paramKeys(prev: PlanNode, next: PlanNode): Set<string> {
  return new Set([...Object.keys(prev.params), ...Object.keys(next.params)]);
}

function edgeMap(plan: Plan): Map<string, PlanEdge> {
  return new Map([...plan.streamEdges, ...plan.controlEdges].map((e) => [e.id, e]));
}
