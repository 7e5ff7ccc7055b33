import { BaseRuntime } from '../core/base-runtime';
import type { VideoFrame } from '../core/frame';
import type { FrameHandle, IoHost, NodeStats, RecorderSink, VideoSink } from '../core/runtime';
import { describeError } from '../core/runtime';
import type { ParamsOf } from '../core/types';
import type { outputNode } from './definition';

type OutputParams = ParamsOf<typeof outputNode>;

/** Most frames kept for the recorder and sinks while video I/O loads (about a quarter second at 30 fps). */
const EARLY_FRAMES = 8;
/** No new frame for this long (ms of session clock): the output shows (holds) its last one. */
const HOLD_AFTER_MS = 1000;

/**
 * An Output node: keeps its last frame (a copy, so it outlives the slot), publishes every frame
 * (its WebRTC track, the session's sink listeners), records it while `record` is on and sends
 * it to its NDI/Spout sinks. Video I/O loads on start; the first frames wait for it.
 */
export class OutputRuntime extends BaseRuntime<OutputParams> {
  private latest: VideoFrame | null = null;
  private lastAt = -Infinity;
  private recorder: RecorderSink | null = null;
  private readonly sinks: VideoSink[] = [];
  private readonly sinkErrors: string[] = [];
  private loadingIo = true;
  private readonly early: VideoFrame[] = [];

  override start(): void {
    this.status = 'idle';
    this.message = 'waiting for frames';
    this.ctx.host
      .loadIo()
      .then((io) => {
        if (!this.stopped) this.openIo(io);
      })
      .catch((error: unknown) => this.sinkErrors.push(`video I/O could not load: ${describeError(error)}`))
      .finally(() => {
        this.loadingIo = false;
        for (const f of this.early.splice(0)) this.toSinks(f);
        this.ctx.kick();
      });
  }

  latestFrame(): VideoFrame | null {
    return this.latest;
  }

  override busy(): boolean {
    // Deterministic playback waits for the recorder and sinks, so a recording misses nothing.
    return this.ctx.fixed && this.loadingIo && !this.stopped;
  }

  private openIo(io: IoHost): void {
    const name = this.params.name.replace(/[^A-Za-z0-9._ -]/g, '_');
    this.recorder = io.recorder({
      prefix: name.startsWith('.') ? `_${name}` : name,
      log: (line) => this.ctx.log(`[${this.id}] ${line}`),
    });
    const { ndi, spout } = this.params.sinks;
    const add = (what: string, open: () => VideoSink) => {
      try {
        this.sinks.push(open());
      } catch (error) {
        const msg = `${what}: ${describeError(error)}`;
        this.sinkErrors.push(msg);
        this.ctx.nodeError(this.id, msg, false);
      }
    };
    if (ndi.enabled) add('NDI sink', () => io.ndiSink({ name: ndi.name || 'Patchbay' }));
    if (spout.enabled) add('Spout sink', () => io.spoutSink({ name: spout.name || 'Patchbay' }));
    if (this.params.record) this.recorder.start();
  }

  override receive(port: string, h: FrameHandle): void {
    if (this.stopped || port !== 'video') return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    const view = this.ctx.pool.view(h);
    // One copy per frame, shared by every consumer: the slot is reused as soon as it is released.
    const frame: VideoFrame = { ...view, data: view.data.slice() };
    this.latest = frame;
    this.lastAt = now;
    this.status = 'running';
    this.message = undefined;
    this.meter.noteOut(now);
    this.ctx.publish(this.id, frame);
    if (this.loadingIo) {
      // Video I/O is still loading: keep the first frames for the recorder and sinks.
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

  override update(params: Partial<OutputParams>): void {
    super.update(params);
    if (params.record === true) this.recorder?.start();
    if (params.record === false) this.recorder?.stop();
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.recorder?.stop();
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  override stats(now: number): NodeStats {
    let s = super.stats(now);
    if (this.latest && now - this.lastAt > HOLD_AFTER_MS && s.status === 'running')
      s = { ...s, status: 'holding', message: 'no new frames; showing the last one' };
    const notes = [...this.sinkErrors];
    const rec = this.recorder?.status();
    if (this.recorder?.recording) notes.push(rec?.message ?? 'recording');
    if (rec?.state === 'error') notes.push(rec.message ?? 'recording failed');
    if (!notes.length) return s;
    return { ...s, message: [s.message, ...notes].filter(Boolean).join('; ') };
  }
}
