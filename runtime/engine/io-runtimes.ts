import { dirname, join, resolve } from 'node:path';
import type { VideoFrame } from '../../nodes';
import type { PlanNode } from '../compile';
import type { AdapterStatus, Recorder, VideoSinkAdapter, VideoSourceAdapter } from '../io';
import type { NodeStats, NodeStatus } from '../protocol';
import type { EngineContext, NodeRuntime } from './context';
import type { FrameHandle } from './frame-pool';
import { metrics } from './metrics';
import { OutputRuntime } from './node-runtimes';
import { NodeMeter } from './stats';

/**
 * Node runtimes for video I/O (runtime/io): NDI and Spout nodes (receive → a source, send → a
 * sink), the Record node, and the Output node's `record` param and NDI/Spout sinks. (The
 * Camera's `video_file` mode lives in CameraRuntime.) A capability this machine lacks becomes
 * the node's error status with the reason and install hint; the rest of the patch runs.
 * runtime/io (and with it the codec and koffi) is imported on first use, as CameraRuntime does.
 */

type Io = typeof import('../io');
/** Most frames kept for a sink while runtime/io loads (about a quarter second at 30 fps). */
const EARLY_FRAMES = 8;
let ioModule: Promise<Io> | null = null;
const loadIo = (): Promise<Io> => (ioModule ??= import('../io'));

/**
 * Recordings go beside the assets folder (the server's data dir holds assets/ and recordings/
 * side by side), so node recordings and /api/v1/recordings share one folder.
 */
export function recordingsDirFor(assetsDir: string): string {
  return join(dirname(resolve(assetsDir)), 'recordings');
}

function describe(error: unknown): string {
  const hint = (error as { installHint?: unknown }).installHint;
  const text = error instanceof Error ? error.message : String(error);
  return typeof hint === 'string' ? `${text}. ${hint}` : text;
}

function toNodeStatus(s: AdapterStatus): NodeStatus {
  switch (s.state) {
    case 'running':
      return 'running';
    case 'error':
    case 'unavailable':
      return 'error';
    default:
      return 'idle';
  }
}

/** A source node backed by a VideoSourceAdapter: frames enter the pool and go downstream. */
export class IoSourceRuntime implements NodeRuntime {
  readonly meter = new NodeMeter();
  private adapter: VideoSourceAdapter | null = null;
  private failure: string | undefined;
  private drops = 0;
  private stopped = false;

  constructor(
    public node: PlanNode,
    private readonly ctx: EngineContext,
    private readonly open: (io: Io) => VideoSourceAdapter,
  ) {}

  get id(): string {
    return this.node.id;
  }

  start(): void {
    void loadIo()
      .then((io) => {
        if (this.stopped) return;
        this.adapter = this.open(io);
        this.adapter.start((frame) => this.push(frame));
      })
      .catch((error: unknown) => {
        this.failure = describe(error);
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
    metrics.frameProduced();
    this.ctx.emit(this.id, h);
    this.ctx.kick();
  }

  receive(): void {}
  update(params: Record<string, unknown>): void {
    // Every param of these nodes is `load`: a change restarts the node (compile diff).
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.adapter?.stop();
  }
  busy(): boolean {
    return false;
  }
  stats(now: number): NodeStats {
    if (this.failure) return this.meter.snapshot(now, 'error', 0, this.drops, this.failure);
    const s = this.adapter?.status() ?? { state: 'idle' as const };
    const c = this.adapter?.counters();
    return this.meter.snapshot(now, toNodeStatus(s), 0, this.drops + (c?.dropped ?? 0), s.message);
  }
}

/** Sends a node's input to sinks; `extra` lets the Record node deliver to session listeners too. */
export class IoSinkRuntime implements NodeRuntime {
  readonly meter = new NodeMeter();
  protected sink: VideoSinkAdapter | null = null;
  protected failure: string | undefined;
  protected stopped = false;

  constructor(
    public node: PlanNode,
    protected readonly ctx: EngineContext,
    private readonly open: (io: Io) => VideoSinkAdapter,
  ) {}

  get id(): string {
    return this.node.id;
  }

  private loading = true;

  start(): void {
    void loadIo()
      .then((io) => {
        if (this.stopped) return;
        this.sink = this.open(io);
        this.opened();
      })
      .catch((error: unknown) => {
        this.failure = describe(error);
        this.ctx.nodeError(this.id, this.failure, false);
      })
      .finally(() => {
        this.loading = false;
        const now = this.ctx.clock.now();
        for (const f of this.early.splice(0)) this.deliver(f, now);
        this.ctx.kick();
      });
  }

  /** Called once the sink exists. */
  protected opened(): void {}

  receive(port: string, h: FrameHandle): void {
    if (this.stopped || port !== 'video') return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    const view = this.ctx.pool.view(h);
    this.deliver({ ...view, data: view.data.slice() }, now);
  }

  protected deliver(frame: VideoFrame, now: number): void {
    if (this.loading) {
      this.hold(frame);
      return;
    }
    const t0 = performance.now();
    if (this.sink?.send(frame)) this.meter.noteOut(now, performance.now() - t0);
  }

  /** Frames that arrive while runtime/io loads (a source's first frame comes at once) wait here. */
  private readonly early: VideoFrame[] = [];
  private hold(frame: VideoFrame): void {
    this.early.push(frame);
    if (this.early.length > EARLY_FRAMES) this.early.shift();
  }

  update(params: Record<string, unknown>): void {
    this.node = { ...this.node, params: { ...this.node.params, ...params } };
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.sink?.close();
  }
  busy(): boolean {
    // Deterministic playback waits until the sink exists, so every frame reaches it.
    return this.ctx.fixed && this.loading && !this.stopped;
  }
  stats(now: number): NodeStats {
    if (this.failure) return this.meter.snapshot(now, 'error', 0, 0, this.failure);
    const s = this.sink?.status() ?? { state: 'idle' as const };
    return this.meter.snapshot(now, toNodeStatus(s), 0, this.sink?.counters().dropped ?? 0, s.message);
  }
}

/** Tags for a recording: the patch that made it, so dropping the file on the editor reopens it. */
function recordingTags(ctx: EngineContext): Record<string, string> | undefined {
  const text = ctx.patchText?.();
  return text ? { [PATCH_TAG]: text } : undefined;
}

/** The tag key (runtime/io/embed.ts says the same; kept here so this file loads nothing eagerly). */
const PATCH_TAG = 'patchbay_patch';

/** The Record node: writes `format` (WebM/VP8, MP4/H.264, MOV/ProRes) while `recording` is on; `filename` is the file prefix. */
export class RecordRuntime extends IoSinkRuntime {
  constructor(
    node: PlanNode,
    ctx: EngineContext,
    private readonly alsoDeliver: (node: string, frame: VideoFrame) => void,
  ) {
    super(
      node,
      ctx,
      (io) =>
        new io.Recorder({
          dir: ctx.recordingsDir,
          prefix: String(node.params.filename || 'patchbay'),
          format: io.RECORD_FORMATS.find((f) => f === node.params.format) ?? 'webm',
          metadata: () => recordingTags(ctx),
          log: (line) => ctx.log(`[${node.id}] ${line}`),
        }),
    );
  }

  private get recorder(): Recorder | null {
    return this.sink as Recorder | null;
  }

  protected override opened(): void {
    if (this.node.params.recording !== false) this.recorder?.start();
  }

  override receive(port: string, h: FrameHandle): void {
    super.receive(port, h);
    if (this.stopped || port !== 'video') return;
    // Session listeners (the recordings API, `play`) see the frame too.
    const view = this.ctx.pool.view(h);
    this.alsoDeliver(this.id, { ...view, data: view.data.slice() });
  }

  override update(params: Record<string, unknown>): void {
    super.update(params);
    const rec = this.recorder;
    if (!rec) return;
    if (typeof params.filename === 'string' && params.filename) {
      try {
        rec.setPrefix(params.filename);
      } catch (error) {
        this.ctx.nodeError(this.id, (error as Error).message, true);
      }
    }
    if (typeof params.format === 'string') {
      try {
        rec.setFormat(params.format as Parameters<Recorder['setFormat']>[0]);
      } catch (error) {
        this.ctx.nodeError(this.id, (error as Error).message, true);
      }
    }
    if (params.recording === true) rec.start();
    if (params.recording === false) {
      const file = rec.stop();
      if (file)
        this.ctx.log(
          `[${this.id}] recorded ${file.path} (${file.frames} frames, ${Math.round(file.durationMs)} ms)`,
        );
    }
  }

  /** Files this node has finished. */
  files(): ReturnType<Recorder['files']> {
    return this.recorder?.files() ?? [];
  }
}

/** The Output node with its `record` param and NDI/Spout sinks (sinks.ndi / sinks.spout). */
export class OutputIoRuntime extends OutputRuntime {
  private recorder: Recorder | null = null;
  private readonly sinks: VideoSinkAdapter[] = [];
  private readonly sinkErrors: string[] = [];

  private loading = true;

  override start(): void {
    super.start();
    void loadIo()
      .then((io) => {
        if (!this.stopped) this.openIo(io);
      })
      .catch((error: unknown) => this.sinkErrors.push(`video I/O could not load: ${describe(error)}`))
      .finally(() => {
        this.loading = false;
        for (const f of this.early.splice(0)) this.toSinks(f);
        this.ctx.kick();
      });
  }

  override busy(): boolean {
    // Deterministic playback waits for the recorder and sinks, so a recording misses nothing.
    return this.ctx.fixed && this.loading && !this.stopped;
  }

  private openIo(io: Io): void {
    const name = String(this.node.params.name || 'output').replace(/[^A-Za-z0-9._ -]/g, '_');
    this.recorder = new io.Recorder({
      dir: this.ctx.recordingsDir,
      prefix: name.startsWith('.') ? `_${name}` : name,
      metadata: () => recordingTags(this.ctx),
      log: (line) => this.ctx.log(`[${this.id}] ${line}`),
    });
    const sinks = this.node.params.sinks as
      | { ndi?: { enabled?: boolean; name?: string }; spout?: { enabled?: boolean; name?: string } }
      | undefined;
    const add = (what: string, open: () => VideoSinkAdapter) => {
      try {
        this.sinks.push(open());
      } catch (error) {
        const msg = `${what}: ${describe(error)}`;
        this.sinkErrors.push(msg);
        this.ctx.nodeError(this.id, msg, false);
      }
    };
    if (sinks?.ndi?.enabled) add('NDI sink', () => new io.NdiSink({ name: sinks.ndi?.name || 'Patchbay' }));
    if (sinks?.spout?.enabled)
      add('Spout sink', () => new io.SpoutSink({ name: sinks.spout?.name || 'Patchbay' }));
    if (this.node.params.record === true) this.recorder.start();
  }

  private readonly early: VideoFrame[] = [];

  override receive(port: string, h: FrameHandle): void {
    super.receive(port, h);
    const frame = this.latest;
    if (this.stopped || port !== 'video' || !frame) return;
    if (this.loading) {
      // runtime/io is still loading: keep the first frames for the recorder and sinks.
      this.early.push(frame);
      if (this.early.length > EARLY_FRAMES) this.early.shift();
      return;
    }
    this.toSinks(frame);
  }

  private toSinks(frame: VideoFrame): void {
    for (const s of this.sinks) s.send(frame);
    this.recorder?.send(frame);
  }

  override update(params: Record<string, unknown>): void {
    super.update(params);
    if (params.record === true) this.recorder?.start();
    if (params.record === false) this.recorder?.stop();
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.recorder?.stop();
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  override stats(now: number): NodeStats {
    const s = super.stats(now);
    const notes = [...this.sinkErrors];
    const rec = this.recorder?.status();
    if (this.recorder?.recording) notes.push(rec?.message ?? 'recording');
    if (rec?.state === 'error') notes.push(rec.message ?? 'recording failed');
    if (!notes.length) return s;
    return { ...s, message: [s.message, ...notes].filter(Boolean).join('; ') };
  }
}

/** The runtime for an NDI or Spout node (either direction), or null for other kinds. */
export function createIoRuntime(node: PlanNode, ctx: EngineContext): NodeRuntime | null {
  const p = node.params;
  const name = typeof p.name === 'string' ? p.name : 'Patchbay';
  const log = (line: string) => ctx.log(`[${node.id}] ${line}`);
  if (node.type === 'ndi') {
    return p.direction === 'send'
      ? new IoSinkRuntime(node, ctx, (io) => new io.NdiSink({ name }))
      : new IoSourceRuntime(node, ctx, (io) => new io.NdiSource({ name, clock: ctx.clock, log }));
  }
  if (node.type === 'spout') {
    return p.direction === 'send'
      ? new IoSinkRuntime(node, ctx, (io) => new io.SpoutSink({ name }))
      : new IoSourceRuntime(node, ctx, (io) => new io.SpoutSource({ name, clock: ctx.clock }));
  }
  return null;
}
