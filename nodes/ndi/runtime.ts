import { IoSinkRuntime, IoSourceRuntime } from '../core/io-runtime';
import type { NodeContext, NodeRuntime, RuntimeNode } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { ndiNode } from './definition';

type NdiParams = ParamsOf<typeof ndiNode>;

/** An NDI node: receive a network source into the graph, or send the node's input. */
export function createNdiRuntime(node: RuntimeNode<NdiParams>, ctx: NodeContext): NodeRuntime<NdiParams> {
  const { name } = node.params;
  const log = (line: string) => ctx.log(`[${node.id}] ${line}`);
  return node.params.direction === 'send'
    ? new IoSinkRuntime(node, ctx, (io) => io.ndiSink({ name }))
    : new IoSourceRuntime(node, ctx, (io) => io.ndiSource({ name, log }));
}
