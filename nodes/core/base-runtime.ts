import { NodeMeter } from './meter';
import type { FrameHandle, NodeContext, NodeRuntime, NodeStats, NodeStatus, RuntimeNode } from './runtime';

/**
 * What most node runtimes share: a meter, a status and message, a drop count, and params that
 * follow live updates. Subclasses override what their node does.
 */
export abstract class BaseRuntime<P = Record<string, unknown>> implements NodeRuntime<P> {
  readonly meter = new NodeMeter();
  status: NodeStatus = 'idle';
  message: string | undefined;
  drops = 0;
  stopped = false;

  constructor(
    public node: RuntimeNode<P>,
    protected readonly ctx: NodeContext,
  ) {}

  get id(): string {
    return this.node.id;
  }

  /** The node's params (validated by the compiler, defaults applied, live updates merged). */
  get params(): P {
    return this.node.params;
  }

  receive(_port: string, _h: FrameHandle): void {}
  update(params: Partial<P>): void {
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
  }
  start(): void {}
  async stop(): Promise<void> {
    this.stopped = true;
  }
  busy(): boolean {
    return false;
  }
  queueDepth(): number {
    return 0;
  }
  stats(now: number): NodeStats {
    let status = this.status;
    let message = this.message;
    if (status === 'running' && this.node.degraded.length) {
      status = 'degraded';
      message ??= this.node.degraded.map((d) => `${d.capability}: ${d.reason}`).join('; ');
    }
    return this.meter.snapshot(now, status, this.queueDepth(), this.drops, message);
  }
}

/** A node that runs nothing: disabled by the compiler, or a type this runtime cannot run. */
export class PlaceholderRuntime extends BaseRuntime {
  constructor(node: RuntimeNode, ctx: NodeContext, status: NodeStatus, message: string) {
    super(node, ctx);
    this.status = status;
    this.message = message;
  }
}

/** A copy of the frame in a slot, owned by the caller (the slot is reused once released). */
export function copyFrame(ctx: NodeContext, h: FrameHandle): ReturnType<NodeContext['pool']['view']> {
  const view = ctx.pool.view(h);
  return { ...view, data: view.data.slice() };
}
