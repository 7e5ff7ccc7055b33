import type { Patch, PatchEdge, PatchNode } from '../../patches';

/**
 * Builders for small patches in the compiler's tests. Not exported from the folder's index:
 * tests elsewhere should load real `.patch` fixtures.
 */

/** A node with version 1 and empty params unless given. */
export function n(
  id: string,
  type: string,
  params: Record<string, unknown> = {},
  extra: Partial<PatchNode> = {},
): PatchNode {
  return { id, type, version: 1, params, position: { x: 0, y: 0 }, ...extra };
}

/** An edge "a.out -> b.in", id `e:<from>-<to>` unless given. */
export function e(from: string, to: string, id?: string): PatchEdge {
  const [fn, fp] = from.split('.') as [string, string];
  const [tn, tp] = to.split('.') as [string, string];
  return { id: id ?? `e:${fn}-${tn}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
}

/** A patch of these nodes and edges. */
export function p(nodes: PatchNode[], edges: PatchEdge[] = []): Patch {
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: { name: 'test', created_at: '2025-01-01T00:00:00Z', app_version: '0.1.0' },
    nodes,
    edges,
  };
}
