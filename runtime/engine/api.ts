import type { HostCapabilities, NodeRegistry, PipelineInfo, VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import type { CompileError, Plan } from '../compile/types';
import type { NodeStats, PatchChange, SessionStateName } from '../protocol';

/**
 * The engine's public surface: one RuntimeSession per running patch. The server wires WebRTC
 * tracks, the data channel, the WebSocket and the headless endpoints to it; the CLI's `play`
 * and tests drive it directly.
 */

/** A clock in milliseconds. `realClock` reads performance.now; tests and `--clock fixed` inject their own. */
export interface Clock {
  now(): number;
  /** Schedules `fn` after `ms` on this clock; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export interface SessionOptions {
  patch: Patch;
  capabilities: HostCapabilities;
  clock?: Clock;
  /** `fixed`: the clock advances one frame interval per produced frame (deterministic playback). */
  clockMode?: 'real' | 'fixed';
  /** Folder for built-in/user ONNX models. */
  modelsDir?: string;
  /** Folder assets are read from (VACE images, video files). */
  assetsDir?: string;
  /**
   * Where Record nodes and Output `record` write (the server's `<dataDir>/recordings`, the
   * folder `/api/v1/recordings` serves); default `recordings/` beside `assetsDir`.
   */
  recordingsDir?: string;
  /**
   * Pipelines beyond the built-in catalog (user ONNX models found by the server), given to every
   * compile; a function is read again at each compile (models added while the session lives).
   */
  extraPipelines?: readonly PipelineInfo[] | (() => readonly PipelineInfo[]);
  /** Node types to compile and run (default: the built-ins; the server adds node packages). */
  registry?: NodeRegistry;
  log?: (line: string) => void;
}

export interface EditResult {
  ok: boolean;
  /** Fatal compile errors when !ok; the running plan is kept unchanged. */
  errors: CompileError[];
  revision: number;
}

export interface SessionEvents {
  state: { state: SessionStateName; error?: string };
  diagnostics: { errors: CompileError[]; revision: number };
  stats: { nodes: Record<string, NodeStats>; t: number };
  'node.error': { node: string; message: string; recoverable: boolean };
  timeline: { node: string; time: number; playing: boolean; entry: number | null };
  /** Scope's parameters_updated notification payload. */
  parameters: Record<string, unknown>;
}

export interface RuntimeSession {
  readonly id: string;
  state(): SessionStateName;
  patch(): Patch;
  revision(): number;
  plan(): Plan | null;
  diagnostics(): CompileError[];
  /** Replaces the patch; live-reconfigures when running. */
  load(patch: Patch): Promise<EditResult>;
  /** Applies edits; live-reconfigures when running. */
  applyChanges(changes: PatchChange[]): Promise<EditResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A decoded frame from client input track `index` (a Camera node in camera mode). */
  pushInputFrame(index: number, frame: VideoFrame): void;
  /** Frames for output track `index` (an Output node with preview). Returns an unsubscribe. */
  onOutputFrame(cb: (index: number, frame: VideoFrame) => void): () => void;
  /** The last frame an Output node showed (first Output when omitted). */
  latestFrame(outputNodeId?: string): VideoFrame | null;
  /**
   * Scope data-channel parameters (flat keys; `node_id` routes to one node). Returns what was
   * applied; unknown keys are passed to pipelines by name; bad values are ignored with a reason.
   */
  setParameters(params: Record<string, unknown>): {
    applied: Record<string, unknown>;
    ignored: Record<string, string>;
  };
  stats(): Record<string, NodeStats>;
  timelinePlay(node: string): void;
  timelinePause(node: string): void;
  timelineSeek(node: string, seconds: number): void;
  on<K extends keyof SessionEvents>(event: K, cb: (payload: SessionEvents[K]) => void): () => void;
  /** Stops everything and frees workers; idempotent. */
  dispose(): Promise<void>;
}
