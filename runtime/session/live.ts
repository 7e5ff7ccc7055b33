import { isDeepStrictEqual } from 'node:util';
import type { NodeRegistry } from '../../nodes';
import type { Patch, PatchChange } from '../../patches';
import type { Plan } from '../compile';

/** Live params for one running node: only the keys whose value changed, as the compiler would give them. */
export interface LiveUpdate {
  node: string;
  params: Record<string, unknown>;
}

/**
 * Whether a batch of (already applied) changes can skip the compiler, and if so the params to
 * send to running nodes. It can when every change is a move, ui or metadata change (the
 * compiler reads none of them), or a `node.params` change whose keys are all `live`-marked on
 * a node of the plan that runs (not a disabled placeholder) and whose new params leave
 * everything the compiler derives from params as it was: the same ports, the same capability
 * requirements, no migration (node version current) and no other param differing from the plan.
 * The new values are the node schema's parse of the patch node's params, exactly what the
 * compiler would put in the plan. Null: compile (a topology edit, a load param, a param that
 * does not validate — the compiler's diagnostics say why).
 */
export function liveUpdates(
  plan: Plan,
  next: Patch,
  changes: readonly PatchChange[],
  nodes: NodeRegistry,
): LiveUpdate[] | null {
  const touched = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.op === 'node.move' || c.op === 'node.ui' || c.op === 'metadata') continue;
    if (c.op !== 'node.params') return null;
    const keys = touched.get(c.id) ?? new Set<string>();
    for (const k of [...Object.keys(c.params), ...(c.unset ?? [])]) keys.add(k);
    touched.set(c.id, keys);
  }
  const updates: LiveUpdate[] = [];
  for (const [id, keys] of touched) {
    const running = plan.nodes.find((n) => n.id === id);
    const node = next.nodes.find((n) => n.id === id);
    if (!running || !node || running.disabled || running.type !== node.type) return null;
    const def = nodes.get(node.type);
    if (!def || node.version !== def.version) return null;
    const marks = def.paramMeta as Record<string, { mark: string } | undefined>;
    for (const k of keys) if (marks[k]?.mark !== 'live') return null;
    const parsed = def.params.safeParse(node.params);
    if (!parsed.success) return null;
    const params = parsed.data as Record<string, unknown>;
    for (const k of new Set([...Object.keys(params), ...Object.keys(running.params)]))
      if (!keys.has(k) && !isDeepStrictEqual(params[k], running.params[k])) return null;
    try {
      if (def.ports && !isDeepStrictEqual(def.ports(parsed.data), def.ports(running.params as never)))
        return null;
      if (!isDeepStrictEqual(def.requires(parsed.data), def.requires(running.params as never))) return null;
    } catch {
      return null; // a definition that throws here: the compiler reports it
    }
    const changed: Record<string, unknown> = {};
    for (const k of keys) if (!isDeepStrictEqual(params[k], running.params[k])) changed[k] = params[k];
    if (Object.keys(changed).length) updates.push({ node: id, params: changed });
  }
  return updates;
}

/**
 * The plan with live params set on its nodes. `outputTracks[].name` and `sinks[].name` (copies
 * of an Output's `name` or a Record's `filename`) are refreshed at the next compile; nothing at
 * run time reads them.
 */
export function withLiveParams(plan: Plan, updates: readonly LiveUpdate[]): Plan {
  const byId = new Map(updates.map((u) => [u.node, u.params]));
  return {
    ...plan,
    nodes: plan.nodes.map((n) => {
      const p = byId.get(n.id);
      return p ? { ...n, params: { ...n.params, ...p } } : n;
    }),
  };
}
