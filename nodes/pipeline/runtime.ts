import { BaseRuntime } from '../core/base-runtime';
import { blackFrame } from '../core/frame';
import type {
  FrameHandle,
  NodeStats,
  PipelineFrame,
  PipelineWorker,
  PipelineWorkerMessage,
} from '../core/runtime';
import { DropOldestQueue } from '../core/queue';
import type { ParamsOf } from '../core/types';
import type { PromptControl } from '../prompt-timeline/evaluate';
import { vaceConditioning, type VaceControl, type VaceParamsInput } from '../vace/conditioning';
import type { pipelineNode } from './definition';

type PipelineParams = ParamsOf<typeof pipelineNode>;

/** Queue depth in front of each pipeline: live video keeps at most two frames waiting. */
export const QUEUE_DEPTH = 2;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
/** A worker alive this long (ms) counts as stable: its next crash restarts at the shortest delay. */
const STABLE_MS = 10_000;
/** Text mode (no video input): a black frame of the processing size drives the pipeline at this rate. */
const TEXT_MODE_FPS = 30;

/** Control values for one frame, and what was dropped from them (shown on the node). */
interface Controls {
  prompts?: PromptControl;
  vace?: VaceControl;
  warnings?: string[];
}

interface InFlight {
  id: number;
  input: FrameHandle;
  output: FrameHandle;
  extras: FrameHandle[];
}

/**
 * A Pipeline node: its processor runs in a worker thread. Frames wait in a drop-oldest queue
 * of depth 2 and go to the worker one at a time. While the processor loads the node passes
 * frames through (`warming`); when the worker crashes, the node reports the error, holds (the
 * Output keeps its last frame) and restarts the worker with backoff.
 */
export class PipelineRuntime extends BaseRuntime<PipelineParams> {
  private host: PipelineWorker | null = null;
  private readonly queue = new DropOldestQueue<FrameHandle>(QUEUE_DEPTH);
  private inFlight: InFlight | null = null;
  private nextId = 1;
  private ready = false;
  private loadFailed = false;
  /** After a crash the node holds until its new worker is ready instead of showing raw input. */
  private holdUntilReady = false;
  private readyAt = -Infinity;
  /** Wall time the current worker was asked for, for the "ready in" log line. */
  private spawnedAt = 0;
  private backoff = RESTART_MIN_MS;
  private cancelRestart: (() => void) | null = null;
  private cancelDriver: (() => void) | null = null;
  private vaceFrame: FrameHandle | null = null;
  private vaceMask: FrameHandle | null = null;
  device = '';

  override start(): void {
    this.spawn();
    // Without a video input (text mode) a black frame of the processing size drives it.
    if (!this.node.streamInputs.video) this.drive();
  }

  /** The worker thread, for tests that kill it. */
  get worker(): PipelineWorker | null {
    return this.host;
  }

  private spawn(): void {
    if (this.stopped || !this.node.pipeline) return;
    this.ready = false;
    this.loadFailed = false;
    this.status = 'warming';
    this.spawnedAt = performance.now();
    const host = this.ctx.host.startPipelineWorker(
      { nodeId: this.id, pipeline: this.node.pipeline, params: this.params },
      {
        message: (msg) => {
          if (this.host !== host) return;
          try {
            this.onMessage(msg);
          } catch (error) {
            // An engine bug must not take the process (and every other session) down.
            this.status = 'error';
            this.message = `internal error: ${(error as Error).message}`;
            this.ctx.nodeError(this.id, this.message, true);
          }
        },
        exit: (info) => {
          if (this.host === host) this.onExit(info);
        },
      },
    );
    this.host = host;
  }

  private onMessage(msg: PipelineWorkerMessage): void {
    switch (msg.type) {
      case 'ready':
        this.ctx.log(
          `[${this.id}] ${this.node.pipeline?.id ?? 'pipeline'} ready in ${(performance.now() - this.spawnedAt).toFixed(0)} ms`,
        );
        this.ready = true;
        this.readyAt = this.ctx.clock.now();
        this.holdUntilReady = false;
        this.device = msg.device;
        this.status = 'running';
        this.message = undefined;
        this.pump();
        break;
      case 'load-error':
        this.loadFailed = true;
        this.status = 'error';
        this.message = `could not load "${this.node.pipeline?.id}": ${msg.message}; passing frames through`;
        this.ctx.nodeError(this.id, this.message, false);
        this.flushAsPassthrough();
        break;
      case 'result':
        this.onResult(msg);
        break;
      case 'frame-error': {
        const f = this.finish(msg.id);
        if (f) {
          this.ctx.pool.release(f.input);
          this.ctx.pool.release(f.output);
        }
        this.meter.noteMs(msg.ms);
        this.drops++;
        this.message = `frame failed: ${msg.message}`;
        this.ctx.nodeError(this.id, this.message, true);
        this.pump();
        break;
      }
      case 'notice':
        this.message = msg.message;
        break;
      case 'log':
        this.ctx.log(`[${this.id}] ${msg.message}`);
        break;
      case 'disposed':
        break;
    }
    this.ctx.kick();
  }

  private finish(id: number): InFlight | null {
    const f = this.inFlight;
    if (!f || f.id !== id) return null;
    this.inFlight = null;
    for (const h of f.extras) this.ctx.pool.release(h);
    return f;
  }

  private onResult(msg: Extract<PipelineWorkerMessage, { type: 'result' }>): void {
    const f = this.finish(msg.id);
    if (!f) return;
    const { pool } = this.ctx;
    let out: FrameHandle | null;
    if (msg.kind === 'same') {
      pool.release(f.output);
      out = f.input;
    } else if (msg.kind === 'slot') {
      pool.release(f.input);
      out = { ...f.output, timestampMs: msg.timestampMs, seq: msg.seq };
    } else {
      pool.release(f.input);
      pool.release(f.output);
      const data = new Uint8Array(msg.data ?? new ArrayBuffer(0));
      out = pool.import({
        width: msg.width,
        height: msg.height,
        data,
        timestampMs: msg.timestampMs,
        seq: msg.seq,
      });
      if (!out) this.drops++;
    }
    if (this.status === 'error' && this.ready) {
      this.status = 'running';
      this.message = undefined;
    }
    this.meter.noteOut(this.ctx.clock.now(), msg.ms);
    if (out) this.ctx.emit(this.id, out);
    this.pump();
  }

  private onExit(info: { code: number; error: Error | null; expected: boolean }): void {
    this.host = null;
    this.ready = false;
    this.releaseWork();
    if (info.expected || this.stopped) return;
    // A worker that ran a while before dying starts the backoff over; one that keeps dying waits longer each time.
    if (this.ctx.clock.now() - this.readyAt > STABLE_MS) this.backoff = RESTART_MIN_MS;
    const delay = this.backoff;
    this.backoff = Math.min(RESTART_MAX_MS, this.backoff * 2);
    this.status = 'error';
    this.message = `worker stopped (${info.error?.message ?? `exit code ${info.code}`}); restarting in ${delay} ms`;
    this.ctx.nodeError(this.id, this.message, true);
    this.holdUntilReady = true;
    this.cancelRestart = this.ctx.clock.setTimeout(() => {
      this.cancelRestart = null;
      this.spawn();
      this.status = 'error';
      this.message = 'worker restarting after a crash; holding the last frame';
      this.ctx.kick();
    }, delay);
    this.ctx.kick();
  }

  private releaseWork(): void {
    const { pool } = this.ctx;
    if (this.inFlight) {
      pool.release(this.inFlight.input);
      pool.release(this.inFlight.output);
      for (const h of this.inFlight.extras) pool.release(h);
      this.inFlight = null;
    }
    for (const h of this.queue.drain()) pool.release(h);
  }

  private passthrough(): boolean {
    // A model that is loading (or failed to load) lets the video through rather than stop it;
    // deterministic playback waits for the load instead, so every run sees the same frames.
    return this.loadFailed || (!this.ready && this.host !== null && !this.ctx.fixed && !this.holdUntilReady);
  }

  private flushAsPassthrough(): void {
    for (const h of this.queue.drain()) {
      this.meter.noteOut(this.ctx.clock.now());
      this.ctx.emit(this.id, h);
    }
  }

  override receive(port: string, h: FrameHandle): void {
    if (this.stopped) return;
    const { pool } = this.ctx;
    if (port === 'vace_input_frames' || port === 'vace_input_masks') {
      pool.addRef(h);
      const old = port === 'vace_input_frames' ? this.vaceFrame : this.vaceMask;
      if (old) pool.release(old);
      if (port === 'vace_input_frames') this.vaceFrame = h;
      else this.vaceMask = h;
      return;
    }
    if (port !== 'video') return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    if (this.passthrough()) {
      pool.addRef(h);
      this.meter.noteOut(now);
      this.ctx.emit(this.id, h);
      return;
    }
    if (!this.host) {
      // Crashed and waiting to restart: hold (the Output keeps showing its last frame).
      this.drops++;
      return;
    }
    pool.addRef(h);
    const dropped = this.queue.push(h);
    if (dropped) {
      pool.release(dropped);
      this.drops++;
    }
    this.pump();
  }

  private pump(): void {
    if (this.inFlight || !this.ready || !this.host || this.stopped) return;
    const input = this.queue.shift();
    if (!input) return;
    const { pool } = this.ctx;
    const output = pool.acquire(input.width, input.height, input.timestampMs, input.seq);
    if (!output) {
      pool.release(input);
      this.drops++;
      return;
    }
    const extras: FrameHandle[] = [];
    const controls = this.controls();
    const msg: PipelineFrame = {
      type: 'frame',
      id: this.nextId++,
      input,
      output,
      now: this.ctx.clock.now(),
    };
    if (controls.prompts) msg.prompts = controls.prompts;
    if (controls.vace) msg.vace = controls.vace;
    // Frames on vace_input_frames / _masks go along when nodes/vace's rules accept them (sizes match).
    if (this.vaceFrame) {
      const c = vaceConditioning(
        null,
        { frame: pool.view(this.vaceFrame), mask: this.vaceMask ? pool.view(this.vaceMask) : null },
        { width: input.width, height: input.height },
      );
      if (c.vaceInputFrame) {
        pool.addRef(this.vaceFrame);
        extras.push(this.vaceFrame);
        msg.vaceInputFrame = this.vaceFrame;
      }
      if (c.vaceInputMask && this.vaceMask) {
        pool.addRef(this.vaceMask);
        extras.push(this.vaceMask);
        msg.vaceInputMask = this.vaceMask;
      }
      if (c.warnings.length) this.message = c.warnings.join('; ');
    }
    if (controls.warnings?.length) this.message = controls.warnings.join('; ');
    this.inFlight = { id: msg.id, input, output, extras };
    this.host.postFrame(msg);
  }

  override update(params: Partial<PipelineParams>): void {
    super.update(params);
    this.host?.update(params);
  }

  override busy(): boolean {
    return (
      this.inFlight !== null ||
      this.queue.length > 0 ||
      (this.ctx.fixed && this.host !== null && !this.ready && !this.loadFailed)
    );
  }

  override queueDepth(): number {
    return this.queue.length;
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRestart?.();
    this.cancelDriver?.();
    const host = this.host;
    // The worker finishes the frame it is on before it ends, so its slots are released after.
    if (host) await host.dispose();
    this.host = null;
    this.releaseWork();
    for (const h of [this.vaceFrame, this.vaceMask]) if (h) this.ctx.pool.release(h);
    this.vaceFrame = this.vaceMask = null;
  }

  override stats(now: number): NodeStats {
    return this.meter.snapshot(now, this.status, this.queue.length, this.drops, this.message);
  }

  /** Still loading its processor (the session's `loading` state waits for every pipeline). */
  loading(): boolean {
    return this.status === 'warming';
  }

  /** In text mode (no video input) the pipeline makes its own frames on the clock. */
  clocked(): boolean {
    return !this.node.streamInputs.video;
  }

  /**
   * Control values for the next frame: prompts from a wired Prompt-timeline or the data channel
   * (whichever changed last), VACE from a wired VACE node merged with data-channel VACE keys.
   */
  private controls(): Controls {
    const out: Controls = {};
    const channel = this.ctx.channelValue(this.id, 'prompts');
    const tlRef = this.node.controlInputs.prompts;
    const fromTimeline = tlRef ? this.ctx.controlInput(tlRef) : null;
    if (fromTimeline?.value && (!channel || fromTimeline.changedAt >= channel.changedAt))
      out.prompts = fromTimeline.value as PromptControl;
    else if (channel) out.prompts = channel.value as PromptControl;
    const vaceRef = this.node.controlInputs.vace;
    const fromNode = vaceRef ? this.ctx.controlInput(vaceRef) : null;
    const override = this.ctx.channelValue(this.id, 'vace')?.value as
      (Partial<VaceControl> & { enabled?: boolean }) | undefined;
    if (override?.enabled !== false && (fromNode || override?.enabled === true)) {
      const { enabled: _enabled, ...rest } = override ?? {};
      const params: VaceParamsInput = {
        ...((fromNode?.value as VaceParamsInput | undefined) ?? {}),
        ...rest,
      };
      // nodes/vace's rules: asset references stay inside the assets folder, the scale is clamped.
      const c = vaceConditioning(params);
      if (c.vace) out.vace = c.vace;
      if (c.warnings.length) out.warnings = c.warnings;
    }
    return out;
  }

  private drive(): void {
    if (this.stopped) return;
    if (!this.ctx.paused && !this.busy()) {
      const { width, height } = this.params;
      const now = this.ctx.clock.now();
      const h = this.ctx.pool.import(blackFrame(width, height, now, this.nextId));
      if (h) {
        this.receive('video', h);
        this.ctx.pool.release(h);
      }
    }
    this.cancelDriver = this.ctx.clock.setTimeout(() => this.drive(), 1000 / TEXT_MODE_FPS);
  }
}
