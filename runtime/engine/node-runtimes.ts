import { resolve, sep } from 'node:path';
import { blackFrame, testPatternFrame, vaceConditioning, type VideoFrame } from '../../nodes';
import type { PlanNode } from '../compile';
import type { NodeStats, NodeStatus } from '../protocol';
import type { VideoFileSource } from '../io';
import type { EngineContext, NodeRuntime } from './context';
import type { FrameHandle } from './frame-pool';
import { metrics } from './metrics';
import type { WorkerToMain } from './protocol';
import { DropOldestQueue } from './queue';
import { NodeMeter } from './stats';
import { WorkerHost } from './worker-host';

/**
 * The runtimes of the node kinds: sources (test pattern, client camera track), pipelines (one
 * worker each), sinks (Output, Record) and placeholders for what cannot run. Control nodes
 * (Prompt-timeline, VACE) are in ./controls.ts.
 */

/** Queue depth in front of each pipeline: live video keeps at most two frames waiting. */
export const QUEUE_DEPTH = 2;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;
/** A worker alive this long (ms) counts as stable: its next crash restarts at the shortest delay. */
const STABLE_MS = 10_000;

const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

abstract class BaseRuntime implements NodeRuntime {
  readonly meter = new NodeMeter();
  status: NodeStatus = 'idle';
  message: string | undefined;
  drops = 0;
  stopped = false;

  constructor(
    public node: PlanNode,
    protected readonly ctx: EngineContext,
  ) {}

  get id(): string {
    return this.node.id;
  }

  receive(_port: string, _h: FrameHandle): void {}
  update(params: Record<string, unknown>): void {
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

/** A node that runs nothing: disabled by the compiler, or a kind this host cannot run. */
export class PlaceholderRuntime extends BaseRuntime {
  constructor(node: PlanNode, ctx: EngineContext, status: NodeStatus, message: string) {
    super(node, ctx);
    this.status = status;
    this.message = message;
  }
}

/** A Camera node: the test pattern made here, or frames pushed from a client's camera track. */
export class CameraRuntime extends BaseRuntime {
  private seq = 0;
  private base = 0;
  private n = 0;
  private cancel: (() => void) | null = null;
  private file: VideoFileSource | null = null;

  private get mode(): string {
    return String(this.node.params.source_mode);
  }

  override start(): void {
    if (this.mode === 'test_pattern') {
      this.status = 'running';
      this.restartSchedule();
    } else if (this.mode === 'camera') {
      this.status = 'idle';
      this.message = 'waiting for the camera track';
    } else if (this.mode === 'video_file') {
      this.openFile();
    } else {
      this.status = 'error';
      this.message = `source mode "${this.mode}" is not supported by the engine yet; use test_pattern or camera`;
    }
  }

  override update(params: Record<string, unknown>): void {
    super.update(params);
    if ('fps' in params && this.mode === 'test_pattern' && !this.stopped) this.restartSchedule();
    // A video file's speed and position are live: the file keeps playing from where it is.
    if (this.file && 'speed' in params) this.file.setSpeed(num(params.speed, 1));
    if (this.file && 'position' in params) this.file.seek(num(params.position, 0));
  }

  override async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    await this.file?.stop();
    this.file = null;
  }

  /** Loops a video file (any FFmpeg format) from the assets folder (the adapter lives in runtime/io). */
  private openFile(): void {
    const name = String(this.node.params.video_file ?? '');
    const base = resolve(this.ctx.assetsDir);
    if (!name || !resolve(base, name).startsWith(base + sep)) {
      // Refused at once; links that leave the folder are refused by runtime/io's resolveAssetFile.
      this.status = 'error';
      this.message = name
        ? `video file "${name}" is outside the assets folder`
        : 'choose a video file from the assets';
      return;
    }
    this.status = 'warming';
    this.message = `opening ${name}`;
    // runtime/io pulls in the codec: load it only for patches that play files.
    import('../io')
      .then(({ VideoFileSource, resolveAssetFile }) => {
        if (this.stopped) return;
        // Never outside the assets folder: `..`, absolute paths and links that leave it are refused.
        const path = resolveAssetFile(this.ctx.assetsDir, name);
        const src = new VideoFileSource(path, {
          clock: this.ctx.clock,
          loop: true,
          speed: num(this.node.params.speed, 1),
          positionS: num(this.node.params.position, 0),
          log: (l) => this.ctx.log(`[${this.id}] ${l}`),
        });
        this.file = src;
        this.status = 'running';
        this.message = undefined;
        src.start((frame) => this.pushFrame(frame, true));
        this.ctx.kick();
      })
      .catch((error: unknown) => {
        this.status = 'error';
        this.message = `cannot play "${name}": ${(error as Error).message}`;
        this.ctx.nodeError(this.id, this.message, false);
        this.ctx.kick();
      });
  }

  override stats(now: number): NodeStats {
    // The file says what it plays (codec, size, GPU or not) and what went wrong (a corrupt packet).
    const st = this.file?.status();
    if (st?.state === 'error') {
      this.status = 'error';
      this.message = st.message;
    } else if (st?.message) this.message = st.message;
    return super.stats(now);
  }

  override busy(): boolean {
    // Deterministic playback waits for the file to open, so it starts at the same clock time.
    return this.ctx.fixed && this.mode === 'video_file' && this.status === 'warming';
  }

  /** A decoded frame from the client's track (or, with `fromFile`, from the looping file). */
  pushFrame(frame: VideoFrame, fromFile = false): void {
    if (this.stopped || this.mode !== (fromFile ? 'video_file' : 'camera')) return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    if (this.ctx.paused) return;
    const h = this.ctx.pool.import({ ...frame, timestampMs: frame.timestampMs, seq: frame.seq });
    if (!h) {
      this.drops++;
      return;
    }
    if (!fromFile) {
      this.status = 'running';
      this.message = undefined;
    }
    this.meter.noteOut(now);
    metrics.frameProduced();
    this.ctx.emit(this.id, h);
  }

  private interval(): number {
    return 1000 / Math.min(120, Math.max(1, num(this.node.params.fps, 30)));
  }

  private restartSchedule(): void {
    this.cancel?.();
    this.base = this.ctx.clock.now();
    this.n = 0;
    this.produce();
  }

  private produce(): void {
    if (this.stopped) return;
    const now = this.ctx.clock.now();
    if (!this.ctx.paused) {
      const width = num(this.node.params.width, 512);
      const height = num(this.node.params.height, 512);
      const h = this.ctx.pool.acquire(width, height, now, this.seq);
      if (!h) {
        this.drops++;
      } else {
        const t0 = performance.now();
        testPatternFrame(width, height, this.seq, now, this.ctx.pool.view(h).data);
        this.meter.noteOut(now, performance.now() - t0);
        this.seq++;
        metrics.frameProduced();
        this.ctx.emit(this.id, h);
      }
    }
    // Drift-free: frame n is due at base + n·interval; after a stall, skip ahead, never burst.
    const interval = this.interval();
    this.n++;
    let due = this.base + this.n * interval;
    const after = this.ctx.clock.now();
    if (due < after) {
      this.base = after;
      this.n = 1;
      due = after + interval;
    }
    this.cancel = this.ctx.clock.setTimeout(() => this.produce(), due - after);
  }
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
export class PipelineRuntime extends BaseRuntime {
  private host: WorkerHost | null = null;
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
  get worker(): WorkerHost | null {
    return this.host;
  }

  private spawn(): void {
    if (this.stopped || !this.node.pipeline) return;
    this.ready = false;
    this.loadFailed = false;
    this.status = 'warming';
    this.spawnedAt = performance.now();
    const host = new WorkerHost(
      {
        nodeId: this.id,
        pipeline: this.node.pipeline,
        params: this.node.params,
        modelsDir: this.ctx.modelsDir,
        ...(this.ctx.processorModule ? { processorModule: this.ctx.processorModule } : {}),
      },
      this.ctx.pool,
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

  private onMessage(msg: WorkerToMain): void {
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

  private onResult(msg: Extract<WorkerToMain, { type: 'result' }>): void {
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
    metrics.workerRestarted();
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
    const controls = this.ctx.controlsFor(this.id);
    const msg: Parameters<WorkerHost['postFrame']>[0] = {
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

  override update(params: Record<string, unknown>): void {
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

  private drive(): void {
    if (this.stopped) return;
    if (!this.ctx.paused && !this.busy()) {
      const width = num(this.node.params.width, 512);
      const height = num(this.node.params.height, 512);
      const now = this.ctx.clock.now();
      const h = this.ctx.pool.import(blackFrame(width, height, now, this.nextId));
      if (h) {
        this.receive('video', h);
        this.ctx.pool.release(h);
      }
    }
    this.cancelDriver = this.ctx.clock.setTimeout(() => this.drive(), 1000 / 30);
  }
}

/** An Output node: keeps its last frame (a copy, so it outlives the slot) and hands frames to its track. */
export class OutputRuntime extends BaseRuntime {
  latest: VideoFrame | null = null;
  private lastAt = -Infinity;

  constructor(
    node: PlanNode,
    ctx: EngineContext,
    private readonly deliver: (node: string, frame: VideoFrame) => void,
  ) {
    super(node, ctx);
  }

  override start(): void {
    this.status = 'idle';
    this.message = 'waiting for frames';
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
    this.deliver(this.id, frame);
  }

  override stats(now: number): NodeStats {
    const s = super.stats(now);
    // No new frame for a second: the output shows (holds) its last one.
    if (this.latest && now - this.lastAt > 1000 && s.status === 'running') {
      return { ...s, status: 'holding', message: 'no new frames; showing the last one' };
    }
    return s;
  }
}

/** A Record node: frames go to the sink listeners (the recorder); it says so when none listens. */
export class SinkRuntime extends BaseRuntime {
  constructor(
    node: PlanNode,
    ctx: EngineContext,
    private readonly deliver: (node: string, frame: VideoFrame) => boolean,
  ) {
    super(node, ctx);
  }

  override start(): void {
    this.status = 'idle';
  }

  override receive(port: string, h: FrameHandle): void {
    if (this.stopped || port !== 'video') return;
    const now = this.ctx.clock.now();
    this.meter.noteIn(now);
    const view = this.ctx.pool.view(h);
    const taken = this.deliver(this.id, { ...view, data: view.data.slice() });
    if (taken) {
      this.status = 'running';
      this.message = undefined;
      this.meter.noteOut(now);
    } else {
      this.status = 'idle';
      this.message = 'no recorder is attached to this session';
    }
  }
}
