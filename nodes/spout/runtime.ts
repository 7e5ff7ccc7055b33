import { IoSinkRuntime, IoSourceRuntime } from '../core/io-runtime';
import type { NodeContext, NodeRuntime, RuntimeNode } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { spoutNode } from './definition';

type SpoutParams = ParamsOf<typeof spoutNode>;

/** A Spout node (Windows): receive a shared texture into the graph, or send the node's input. */
export function createSpoutRuntime(
  node: RuntimeNode<SpoutParams>,
  ctx: NodeContext,
): NodeRuntime<SpoutParams> {
  const { name } = node.params;
  return node.params.direction === 'send'
    ? new IoSinkRuntime(node, ctx, (io) => io.spoutSink({ name }))
    : new IoSourceRuntime(node, ctx, (io) => io.spoutSource({ name }));
}
