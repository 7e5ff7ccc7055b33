import type { Clock } from './api';
import type { FrameHandle, FramePool } from './frame-pool';
import type { PromptControl, VaceControl } from '../pipelines/types';
import type { NodeStats } from '../protocol';
import type { PlanNode } from '../compile';

/** Control values for one frame of a pipeline, and what was dropped from them (shown on the node). */
export interface Controls {
  prompts?: PromptControl;
  vace?: VaceControl;
  warnings?: string[];
}

/** What every node runtime can reach of its engine. */
export interface EngineContext {
  readonly pool: FramePool;
  readonly clock: Clock;
  /** Deterministic playback: lock-step, no drops, no passthrough while a model warms. */
  readonly fixed: boolean;
  readonly modelsDir: string;
  /** Folder video files and images are read from (nothing outside it). */
  readonly assetsDir: string;
  /** Where Record nodes and Output `record` write their files. */
  readonly recordingsDir: string;
  /** The running patch as `.patch` text, embedded in recordings (runtime/io/embed.ts). */
  patchText?(): string | undefined;
  readonly processorModule: string | undefined;
  /** True while Scope's `paused` parameter holds the sources. */
  readonly paused: boolean;
  /** Hands one reference of `h` to every node fed by `from`'s video output. */
  emit(from: string, h: FrameHandle): void;
  /** Control values for a pipeline's next frame (prompts from a timeline or the data channel, VACE). */
  controlsFor(node: string): Controls;
  nodeError(node: string, message: string, recoverable: boolean): void;
  /** Something finished: in fixed mode the engine may take its next step. */
  kick(): void;
  log(line: string): void;
}

/** One running node of the plan. */
export interface NodeRuntime {
  readonly id: string;
  node: PlanNode;
  /** A frame arrives at input `port`; the runtime takes its own reference if it keeps it. */
  receive(port: string, h: FrameHandle): void;
  /** Live params changed (already validated, only the changed keys). */
  update(params: Record<string, unknown>): void;
  start(): void;
  stop(): Promise<void>;
  /** Frames queued or in flight, or a model loading in fixed mode: the engine must wait. */
  busy(): boolean;
  stats(now: number): NodeStats;
}
