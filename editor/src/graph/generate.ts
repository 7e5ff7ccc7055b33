import type { NodeRegistry } from '../../../nodes';
import type { Patch } from '../../../patches';
import { createNode, edgeId, emptyPatch } from './create';

/**
 * A large valid patch for benchmarks and stress tests: `chains` rows of Camera → Pipeline × k →
 * Output, `count` nodes in all (rounded to whole chains). Deterministic.
 */
export function generateChainsPatch(registry: NodeRegistry, count = 500, perChain = 5): Patch {
  const patch = emptyPatch(`${count}-node stress patch`, new Date(0));
  const chains = Math.max(1, Math.round(count / perChain));
  const edgeIds = new Set<string>();
  for (let c = 0; c < chains; c++) {
    let prev: string | null = null;
    for (let k = 0; k < perChain; k++) {
      const type = k === 0 ? 'camera' : k === perChain - 1 ? 'output' : 'pipeline';
      const params =
        type === 'camera'
          ? { source_mode: 'test_pattern' }
          : type === 'pipeline'
            ? { pipeline_id: k % 2 ? 'gray' : 'passthrough' }
            : { name: `out ${c}` };
      const node = createNode(patch, registry, type, { x: k * 280, y: c * 170 }, params);
      patch.nodes.push(node);
      if (prev) {
        const from = { node: prev, port: 'video' };
        const to = { node: node.id, port: 'video' };
        const id = edgeId(from, to, edgeIds);
        edgeIds.add(id);
        patch.edges.push({ id, from, to });
      }
      prev = node.id;
    }
  }
  return patch;
}
