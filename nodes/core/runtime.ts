import type { z } from 'zod';
import type { PipelineInfo } from '../pipeline/catalog';
import type { PromptControl } from '../prompt-timeline/evaluate';
import type { VaceControl } from '../vace/conditioning';
import type { VideoFrame } from './frame';
import type { Capability, NodeDefinition, ParamsShape } from './types';

/**
 * The node-runtime API: what the engine (runtime/engine) gives the part of a node type that
 * runs (`nodes/<type>/runtime.ts`), and what it asks of it. Node runtimes program against these
 * interfaces only; the engine implements them, and host-specific pieces (worker threads, codecs,
 * NDI/Spout libraries, the file system) are injected through `ctx.host`. So `nodes/` imports
 * nothing from `runtime/`, and a node package is shaped exactly like a built-in folder.
 */

/**
 * The version of this API. A node package declares the version it was written for
 * (`nodeApiVersion` in its entry module); the runtime refuses a package whose version differs.
 * Bump it on any breaking change to the interfaces in this file or to NodeDefinition.
 */
export const NODE_API_VERSION = 1;

/** A clock in milliseconds (the session's: real time, or a fixed-step clock in deterministic playback). */
export interface Clock {
  now(): number;
  /** Schedules `fn` after `ms` on this clock; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

/** A frame as it travels between threads: which pool slot holds its pixels, and its metadata. */
export interface FrameHandle {
  slot: number;
  /** Bumped every time the slot is handed out, so a stale handle is caught, not misread. */
  gen: number;
  width: number;
  height: number;
  timestampMs: number;
  seq: number;
}

/**
 * The session's frame pool as a node sees it. Every holder of a frame takes one reference
 * (`addRef`) and gives it back (`release`); `acquire`/`import` return a handle the caller holds.
 */
export interface FramePoolApi {
  /** A slot for a width×height I420 frame, or null when the pool is full (drop and count the frame). */
  acquire(width: number, height: number, timestampMs?: number, seq?: number): FrameHandle | null;
  addRef(h: FrameHandle): void;
  release(h: FrameHandle): void;
  /** The frame in a slot (its `data` is a view of the shared buffer: copy it to keep it). */
  view(h: FrameHandle): VideoFrame;
  /** Copies a frame into a new slot. */
  import(frame: VideoFrame): FrameHandle | null;
}

export type NodeStatus = 'idle' | 'warming' | 'running' | 'holding' | 'error' | 'disabled' | 'degraded';

/** What a node reports once a second (and at once on an error); the editor draws it on the node. */
export interface NodeStats {
  status: NodeStatus;
  fps_in: number;
  fps_out: number;
  /** Milliseconds of processing per frame. */
  ms_p50: number;
  ms_p99: number;
  queue_depth: number;
  drops: number;
  frames_in: number;
  frames_out: number;
  /** The latest error or warning message for this node, if any. */
  message?: string;
}

/** An output port of a node (what an edge starts from). */
export interface PortAddress {
  node: string;
  port: string;
}

/** One node of the compiled plan, as its runtime sees it. `params` are validated, defaults applied. */
export interface RuntimeNode<P = Record<string, unknown>> {
  readonly id: string;
  readonly type: string;
  readonly params: P;
  /** Stream inputs: which node/port feeds each (null: nothing connected). */
  readonly streamInputs: Readonly<Record<string, PortAddress | null>>;
  /** Control inputs: the node/port feeding each connected control port. */
  readonly controlInputs: Readonly<Record<string, PortAddress>>;
  /** Features dropped because a capability is missing; the node still runs. */
  readonly degraded: readonly { capability: Capability; why: string; reason: string }[];
  /** For Pipeline nodes: the catalog entry (or user model) it resolved to. */
  readonly pipeline?: PipelineInfo;
}

/** A value on a control output (a timeline's prompts, a VACE node's conditioning). */
export interface ControlValue {
  value: unknown;
  /** Clock time it took effect (a newer data-channel value wins over an older one). */
  changedAt: number;
}

/** Emitted when a timeline moves to another entry, plays, pauses or seeks. */
export interface TimelineEvent {
  node: string;
  time: number;
  playing: boolean;
  entry: number | null;
}

// ── what the host injects ───────────────────────────────────────────────────────────────────

/** What a pipeline worker is started with. */
export interface PipelineWorkerInit {
  nodeId: string;
  pipeline: PipelineInfo;
  params: Record<string, unknown>;
}

/** One frame for a pipeline worker: it writes its result into `output` (a slot of the input's size). */
export interface PipelineFrame {
  type: 'frame';
  id: number;
  input: FrameHandle;
  output: FrameHandle;
  prompts?: PromptControl;
  vace?: VaceControl;
  vaceInputFrame?: FrameHandle;
  vaceInputMask?: FrameHandle;
  /** Runtime clock (ms) when the frame was dispatched; what `ctx.now()` reads in the worker. */
  now: number;
}

/** Messages from a pipeline worker to its node. */
export type PipelineWorkerMessage =
  | { type: 'ready'; device: string; ignores: ('prompts' | 'vace')[]; inPlace: boolean }
  | { type: 'load-error'; message: string }
  /**
   * `same`: the processor returned its input unchanged (the input handle is the result).
   * `slot`: the result is in the output slot. `copy`: the result had another size, its pixels
   * are in `data` (transferred).
   */
  | {
      type: 'result';
      id: number;
      kind: 'same' | 'slot' | 'copy';
      width: number;
      height: number;
      timestampMs: number;
      seq: number;
      data?: ArrayBuffer;
      ms: number;
    }
  | { type: 'frame-error'; id: number; message: string; ms: number }
  | { type: 'notice'; message: string }
  | { type: 'log'; message: string }
  /** `recycled`: the thread is clean and waits for a new `init`; otherwise it is ending. */
  | { type: 'disposed'; recycled?: boolean };

export interface PipelineWorkerEvents {
  message(msg: PipelineWorkerMessage): void;
  /** The thread ended. `expected` is true only after dispose(); otherwise it crashed or was killed. */
  exit(info: { code: number; error: Error | null; expected: boolean }): void;
}

/** A running pipeline worker (a worker thread on Node). */
export interface PipelineWorker {
  readonly alive: boolean;
  postFrame(msg: PipelineFrame): void;
  /** Live params; they reach the processor before the next frame. */
  update(params: Record<string, unknown>): void;
  /** Disposes the processor after the frame it is on and waits for the thread to be free. */
  dispose(): Promise<void>;
  /** Ends the thread at once, as a crash would. */
  terminate(): void;
}

/** Where an I/O adapter stands; `unavailable` carries the reason and an install hint. */
export interface AdapterStatus {
  state: 'idle' | 'waiting' | 'running' | 'unavailable' | 'error' | 'closed';
  message?: string;
  installHint?: string;
}

export interface AdapterCounters {
  frames: number;
  dropped: number;
  errors: number;
}

/** A producer of frames (NDI or Spout receive, a looping video file). */
export interface VideoSource {
  start(onFrame: (frame: VideoFrame) => void): void;
  stop(): Promise<void>;
  status(): AdapterStatus;
  counters(): AdapterCounters;
}

/** A consumer of frames (NDI or Spout send). `send` is false when the frame was dropped. */
export interface VideoSink {
  send(frame: VideoFrame): boolean;
  close(): Promise<void>;
  status(): AdapterStatus;
  counters(): AdapterCounters;
}

/** A finished recording. */
export interface RecordedFile {
  path: string;
  frames: number;
  durationMs: number;
}

/** The files a recorder writes: WebM (VP8), MP4 (H.264) or MOV (ProRes). */
export type RecordFormat = 'webm' | 'mp4' | 'mov';

/** A recorder: frames are written while `recording`; the host embeds the running patch in each file. */
export interface RecorderSink extends VideoSink {
  readonly recording: boolean;
  start(): void;
  /** Ends the current file; returns it (null when nothing was recording). */
  stop(): RecordedFile | null;
  setPrefix(prefix: string): void;
  /** The kind of the next file (the one being written keeps its own); throws on an unknown format. */
  setFormat(format: RecordFormat): void;
  files(): readonly RecordedFile[];
}

/** A looping video file (any format FFmpeg reads); speed and position are live. */
export interface VideoFileSource extends VideoSource {
  /** Playback speed (0.05–8×, forward only); the file keeps playing from where it is. */
  setSpeed(speed: number): void;
  /** Jumps to `seconds` from the first frame (within one loop), now. */
  seek(seconds: number): void;
}

/**
 * Video I/O on this host (runtime/io on Node). Each `open*` throws when the capability is
 * missing; the error's message (and `installHint`, when it has one) says why and what to do.
 */
export interface IoHost {
  /** A recorder in the session's recordings folder (`format` defaults to WebM). */
  recorder(opts: { prefix: string; format?: RecordFormat; log: (line: string) => void }): RecorderSink;
  /**
   * Plays a file `resolveAsset` returned. Throws when the file links out of the assets folder
   * or cannot be opened; decode errors later show in `status()`.
   */
  videoFile(
    path: string,
    opts: { loop: boolean; speed?: number; positionS?: number; log: (line: string) => void },
  ): VideoFileSource;
  ndiSource(opts: { name: string; log: (line: string) => void }): VideoSource;
  ndiSink(opts: { name: string }): VideoSink;
  spoutSource(opts: { name: string }): VideoSource;
  spoutSink(opts: { name: string }): VideoSink;
}

/** Host-specific services, injected by the engine. */
export interface NodeHost {
  /** Starts a worker running the pipeline's processor (built-ins, ONNX, remote backends). */
  startPipelineWorker(init: PipelineWorkerInit, events: PipelineWorkerEvents): PipelineWorker;
  /** Loads video I/O (on first use: it pulls in codecs and native libraries). */
  loadIo(): Promise<IoHost>;
  /** A file in the assets folder by name; an error message when the name leaves the folder. */
  resolveAsset(name: string): { path: string } | { error: string };
  /** The running patch as `.patch` text (recordings and PNGs carry it), when the session has one. */
  patchText(): string | undefined;
}

/** What every node runtime can reach of its engine. */
export interface NodeContext {
  readonly pool: FramePoolApi;
  readonly clock: Clock;
  /** Deterministic playback: lock-step, no drops, no passthrough while a model warms. */
  readonly fixed: boolean;
  /** True while Scope's `paused` parameter holds the sources. */
  readonly paused: boolean;
  readonly host: NodeHost;
  /** Hands one reference of `h` to every node fed by `from`'s video output (and drops the caller's). */
  emit(from: string, h: FrameHandle): void;
  /**
   * A frame leaves the graph at sink `node`: to its WebRTC output track when it has one, and to
   * the session's sink listeners (recordings API, `play`). False when nothing took it.
   */
  publish(node: string, frame: VideoFrame): boolean;
  /** The value on the control output an input is wired to (null when that node has none yet). */
  controlInput(from: PortAddress): ControlValue | null;
  /** A value set for `node` over Scope's data channel (`prompts`, `vace`), if any. */
  channelValue(node: string, key: string): ControlValue | undefined;
  /** A timeline moved (the editor's transport shows it). */
  timelineEvent(e: TimelineEvent): void;
  /** Counts a frame a source made (process-wide metrics). */
  frameProduced(): void;
  nodeError(node: string, message: string, recoverable: boolean): void;
  /** Something finished: in fixed mode the engine may take its next step. */
  kick(): void;
  log(line: string): void;
}

/**
 * One running node. The engine calls the required members; the optional ones are capabilities
 * it uses when a runtime has them (never by asking which type a node is).
 */
export interface NodeRuntime<P = Record<string, unknown>> {
  readonly id: string;
  /** The plan entry; the engine replaces it (keeping params) when a live edit changes edges. */
  node: RuntimeNode<P>;
  /** A frame arrives at input `port`; the runtime takes its own reference if it keeps it. */
  receive(port: string, h: FrameHandle): void;
  /** Live params changed (validated; only the changed keys). */
  update(params: Partial<P>): void;
  start(): void;
  stop(): Promise<void>;
  /** Frames queued or in flight, or something loading in fixed mode: the engine must wait. */
  busy(): boolean;
  stats(now: number): NodeStats;
  /** Still loading (a model warming up): the session's `loading` state waits for it. */
  loading?(): boolean;
  /** Makes frames on the clock (fixed mode steps the clock for it). */
  clocked?(): boolean;
  /** A decoded frame from the client's input track bound to this node. */
  pushFrame?(frame: VideoFrame): void;
  /** The last frame this node showed (an Output). */
  latestFrame?(): VideoFrame | null;
  /** The value on control output `port`. */
  control?(port: string): ControlValue | null;
  /** Play/pause/seek (a timeline). */
  readonly transport?: { play(): void; pause(): void; seek(seconds: number): void };
  /** The worker running this node, if any (crash tests terminate it). */
  readonly worker?: PipelineWorker | null;
}

/** Creates the runtime of one node of a type. */
export type RuntimeFactory<P> = (node: RuntimeNode<P>, ctx: NodeContext) => NodeRuntime<P>;

/** A node type: its definition and the runtime the engine runs for it. */
export interface NodeType<S extends ParamsShape = ParamsShape> {
  definition: NodeDefinition<S>;
  runtime: RuntimeFactory<z.infer<S>>;
}

/**
 * A node type with its params' type erased, for registries that hold many types. The factory
 * of each entry takes exactly its own definition's params; the engine passes a plan node whose
 * params that definition's schema validated.
 */
export interface AnyNodeType {
  definition: NodeDefinition<ParamsShape>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- erased per-type params (see above)
  runtime: RuntimeFactory<any>;
}

/**
 * Pairs a definition with its runtime; the runtime's params are the definition's (`ParamsOf`).
 *
 * @example
 * export const invert = nodeType(invertNode, (node, ctx) => new InvertRuntime(node, ctx));
 */
export function nodeType<S extends ParamsShape>(
  definition: NodeDefinition<S>,
  runtime: RuntimeFactory<z.infer<S>>,
): NodeType<S> {
  return { definition, runtime };
}

/** An error's message with its install hint, when it carries one (I/O adapters' errors do). */
export function describeError(error: unknown): string {
  const hint = (error as { installHint?: unknown } | null)?.installHint;
  const text = error instanceof Error ? error.message : String(error);
  return typeof hint === 'string' ? `${text}. ${hint}` : text;
}
