import type { Patch, PatchNode } from '../../patches';
import type { CompileError } from '../compile';
import type { PatchChange } from '../protocol';

/**
 * Applies edit records to a patch, returning a new patch (the old one is untouched) or the
 * problems that stop it. Params merge shallowly by name; user-keyed objects are spread, never
 * deep-merged (a `__proto__` key cannot reach a prototype).
 */
export function applyPatchChanges(
  patch: Patch,
  changes: readonly PatchChange[],
): { patch: Patch; errors: CompileError[] } {
  let nodes = [...patch.nodes];
  let edges = [...patch.edges];
  let metadata = patch.metadata;
  const errors: CompileError[] = [];
  const fail = (i: number, message: string, node?: string): void => {
    errors.push({
      code: 'UNKNOWN_NODE',
      fatal: true,
      message: `change ${i}: ${message}`,
      path: ['changes', i],
      ...(node ? { node } : {}),
    });
  };
  const findNode = (id: string): number => nodes.findIndex((n) => n.id === id);
  changes.forEach((c, i) => {
    switch (c.op) {
      case 'node.add':
        if (findNode(c.node.id) >= 0)
          errors.push({
            code: 'DUPLICATE_NODE_ID',
            fatal: true,
            message: `change ${i}: node "${c.node.id}" already exists`,
            node: c.node.id,
            path: ['changes', i],
          });
        else nodes.push(c.node);
        break;
      case 'node.remove': {
        const k = findNode(c.id);
        if (k < 0) return fail(i, `no node "${c.id}" to remove`, c.id);
        nodes = nodes.filter((n) => n.id !== c.id);
        // Edges to a removed node go with it, as in the editor.
        edges = edges.filter((e) => e.from.node !== c.id && e.to.node !== c.id);
        break;
      }
      case 'node.params':
      case 'node.move':
      case 'node.ui': {
        const k = findNode(c.id);
        if (k < 0) return fail(i, `no node "${c.id}" (${c.op})`, c.id);
        const n = nodes[k]!;
        const next: PatchNode =
          c.op === 'node.params'
            ? { ...n, params: { ...n.params, ...c.params } }
            : c.op === 'node.move'
              ? { ...n, position: { ...c.position } }
              : { ...n, ui: { ...n.ui, ...c.ui } };
        nodes[k] = next;
        break;
      }
      case 'edge.add':
        if (edges.some((e) => e.id === c.edge.id))
          errors.push({
            code: 'DUPLICATE_EDGE_ID',
            fatal: true,
            message: `change ${i}: edge "${c.edge.id}" already exists`,
            edge: c.edge.id,
            path: ['changes', i],
          });
        else edges.push(c.edge);
        break;
      case 'edge.remove':
        if (!edges.some((e) => e.id === c.id)) return fail(i, `no edge "${c.id}" to remove`);
        edges = edges.filter((e) => e.id !== c.id);
        break;
      case 'metadata':
        metadata = { ...metadata, ...c.metadata };
        break;
      default:
        errors.push({
          code: 'INVALID_PATCH',
          fatal: true,
          message: `change ${i}: unknown op "${(c as { op?: unknown }).op}"`,
          path: ['changes', i, 'op'],
        });
    }
    return undefined;
  });
  return { patch: { ...patch, metadata, nodes, edges }, errors };
}
