import { BaseRuntime, copyFrame } from './base-runtime';
import type { VideoFrame } from './frame';
import type {
  AdapterStatus,
  FrameHandle,
  IoHost,
  NodeContext,
  NodeStats,
  NodeStatus,
  RuntimeNode,
  VideoSink,
  VideoSource,
} from './runtime';
import { describeError } from './runtime';

/**
 * Runtimes for nodes backed by the host's video I/O (NDI, Spout, recording): a source's frames
 * enter the pool and go downstream; a sink's input goes to its adapter. The I/O is loaded on
 * start (it pulls in codecs and native libraries); a capability this machine lacks becomes the
 * node's error status with the reason and install hint, and the rest of the patch runs.
 */

/** Most frames kept for a sink while video I/O loads (about a quarter second at 30 fps). */
const EARLY_FRAMES = 8;

function toNodeStatus(s: AdapterStatus): NodeStatus {
  if (s.state === 'running') return 'running';
  if (s.state === 'error' || s.state === 'unavailable') return 'error';
  return 'idle';
}

/** A source node backed by a VideoSource adapter. */
export class IoSourceRuntime<P = Record<string, unknown>> extends BaseRuntime<P> {
  private adapter: VideoSource | null = null;
  private failure: string | undefined;

  constructor(
    node: RuntimeNode<P>,
    ctx: NodeContext,
    private readonly open: (io: IoHost) => VideoSource,
  ) {
    super(node, ctx);
  }

  override start(): void {
    void this.ctx.host
      .loadIo()
      .then((io) => {
        if (this.stopped) return;
        this.adapter = this.open(io);
        this.adapter.start((frame) => this.push(frame));
      })
      .catch((error: unknown) => {
        this.failure = describeError(error);
        this.ctx.nodeError(this.id, this.failure, false);
      });
  }

  private push(frame: VideoFrame): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    if (this.ctx.paused) return;
    const h = this.ctx.pool.import(frame);
    if (!h) {
      this.drops++;
      return;
    }
    this.meter.noteOut(now);
    this.ctx.frameProduced();
    this.ctx.emit(this.id, h);
    this.ctx.kick();
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    await this.adapter?.stop();
  }

  override stats(now: number): NodeStats {
    if (this.failure) return this.meter.snapshot(now, 'error', 0, this.drops, this.failure);
    const s = this.adapter?.status() ?? { state: 'idle' as const };
    const c = this.adapter?.counters();
    return this.meter.snapshot(now, toNodeStatus(s), 0, this.drops + (c?.dropped ?? 0), s.message);
  }
}

/** A sink node backed by a VideoSink adapter. */
export class IoSinkRuntime<
  P = Record<string, unknown>,
  S extends VideoSink = VideoSink,
> extends BaseRuntime<P> {
  protected sink: S | null = null;
  protected failure: string | undefined;
  private loadingIo = true;
  /** Frames that arrive while video I/O loads (a source's first frame comes at once) wait here. */
  private readonly early: VideoFrame[] = [];

  constructor(
    node: RuntimeNode<P>,
    ctx: NodeContext,
    private readonly open: (io: IoHost) => S,
  ) {
    super(node, ctx);
  }

  override start(): void {
    void this.ctx.host
      .loadIo()
      .then((io) => {
        if (this.stopped) return;
        this.sink = this.open(io);
        this.opened();
      })
      .catch((error: unknown) => {
        this.failure = describeError(error);
        this.ctx.nodeError(this.id, this.failure, false);
      })
      .finally(() => {
        this.loadingIo = false;
        const now = this.ctx.clock.now();
        for (const f of this.early.splice(0)) this.deliver(f, now);
        this.ctx.kick();
      });
  }

  /** Called once the sink exists. */
  protected opened(): void {}

  override receive(port: string, h: FrameHandle): void {
    if (this.stopped || port !== 'video') return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    this.deliver(copyFrame(this.ctx, h), now);
  }

  protected deliver(frame: VideoFrame, now: number): void {
    if (this.loadingIo) {
      this.early.push(frame);
      if (this.early.length > EARLY_FRAMES) this.early.shift();
      return;
    }
    const t0 = performance.now();
    if (this.sink?.send(frame)) this.meter.noteOut(now, performance.now() - t0);
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    await this.sink?.close();
  }

  override busy(): boolean {
    // Deterministic playback waits until the sink exists, so every frame reaches it.
    return this.ctx.fixed && this.loadingIo && !this.stopped;
  }

  override stats(now: number): NodeStats {
    if (this.failure) return this.meter.snapshot(now, 'error', 0, 0, this.failure);
    const s = this.sink?.status() ?? { state: 'idle' as const };
    return this.meter.snapshot(now, toNodeStatus(s), 0, this.sink?.counters().dropped ?? 0, s.message);
  }
}
