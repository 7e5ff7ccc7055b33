import type { HostCapabilities, NodeRegistry, PipelineInfo, VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import type { CompileError, Plan } from '../compile/types';
import type { Clock } from '../clock';
import type { ChangeRefusal, NodeStats, PatchChange, SessionStateName } from '../protocol';

/**
 * The engine's public surface: one RuntimeSession per running patch. The server wires WebRTC
 * tracks, the data channel, the WebSocket and the headless endpoints to it; the CLI's `play`
 * and tests drive it directly.
 */

/** The clock lives in runtime/clock (below the engine); re-exported for the engine's callers. */
export type { Clock } from '../clock';

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
  /** Why, when !ok (refusals as compile errors, or fatal compile errors); nothing changed. */
  errors: CompileError[];
  /** The session's revision after the edit (unchanged when refused). */
  revision: number;
  /**
   * When !ok: each change that did not fit the patch (its index, reason, node or edge), or with
   * index -1 the compile errors that refused the batch as a whole while the session runs.
   */
  refused?: ChangeRefusal[];
  /** True when it applied without a compile (live params went straight to the running nodes). */
  live?: boolean;
}

export interface SessionEvents {
  state: { state: SessionStateName; error?: string };
  diagnostics: { errors: CompileError[]; revision: number };
  stats: { nodes: Record<string, NodeStats>; t: number };
  'node.error': { node: string; message: string; recoverable: boolean };
  timeline: { node: string; time: number; playing: boolean; entry: number | null };
  /** Scope's parameters_updated notification payload. */
  parameters: Record<string, unknown>;
  /**
   * An applied batch of patch changes and the revision it made. `origin: "parameters"`: they
   * came from Scope's data channel (the editor's socket forwards these so the editor follows).
   */
  changes: { changes: PatchChange[]; revision: number; origin: 'edit' | 'parameters' };
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
  /**
   * Applies edits (patches' applyChanges, all or nothing); live params need no compile, other
   * edits compile and live-reconfigure when running. Refusals come back in `refused`.
   */
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
