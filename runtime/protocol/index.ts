/**
 * The runtime ↔ editor protocol over the WebSocket `/api/v1/runtime`, plus the shapes of
 * per-node stats. Types only (the editor imports this file and nothing else from runtime/).
 */
import type { Patch, PatchChange } from '../../patches';
import type { CompileError } from '../compile/types';

export type { CompileError, CompileErrorCode, Plan, PlanDiff } from '../compile/types';

/** One edit to a patch: defined with the one function that applies it, in patches/changes. */
export type { ChangeRefusal, PatchChange } from '../../patches';
import type { ChangeRefusal } from '../../patches';

/** The session machine's states, as the client sees them. */
export type SessionStateName =
  'idle' | 'compiling' | 'loading' | 'running' | 'reconfiguring' | 'stopping' | 'error';

/** Per-node status and stats, as node runtimes report them (declared once, in nodes/core/runtime.ts). */
import type { NodeStats } from '../../nodes';
export type { NodeStats, NodeStatus } from '../../nodes';

/** Client → runtime. */
export type RuntimeClientMessage =
  /** Replace the session's patch (compiles; if running, reconfigures live). */
  | { type: 'patch.load'; patch: Patch; requestId?: string }
  /**
   * Apply edits to the session's patch (live while running), all or nothing. `revision` is the
   * base: the session revision the client last heard of when it made them. The session applies
   * them to its current patch by id whatever the base (ids are stable, so edits made on an older
   * revision still fit unless they touch what changed); the ack echoes the base.
   */
  | { type: 'patch.change'; changes: PatchChange[]; revision?: number; requestId?: string }
  | { type: 'session.start'; requestId?: string }
  | { type: 'session.stop'; requestId?: string }
  | { type: 'timeline.play'; node: string }
  | { type: 'timeline.pause'; node: string }
  | { type: 'timeline.seek'; node: string; time: number }
  | { type: 'ping'; t: number };

/** Runtime → client. */
export type RuntimeServerMessage =
  | { type: 'hello'; version: string; sessionId: string }
  | {
      type: 'state';
      state: SessionStateName;
      error?: string;
      revision: number;
      webrtcSessionId?: string | null;
    }
  /** Compiler diagnostics for the current patch (fatal or not). */
  | { type: 'diagnostics'; errors: CompileError[]; revision: number }
  /** Sent about once a second while running. */
  | { type: 'stats'; nodes: Record<string, NodeStats>; t: number }
  /** A runtime error attributed to a node (worker crash, model failure). */
  | { type: 'node.error'; node: string; message: string; recoverable: boolean }
  | { type: 'timeline'; node: string; time: number; playing: boolean; entry: number | null }
  /**
   * The answer to a message with a `requestId`. For `patch.change`: `ok` means applied, and
   * `revision` is the revision it made (every applied batch bumps it by one); refused means
   * nothing of the batch applied, `revision` is unchanged and `refused` lists why, each with
   * the node or edge it concerns (index -1: the patch it would make does not compile while
   * running). `error` joins the reasons in one line (older clients read only that).
   */
  | {
      type: 'ack';
      requestId: string;
      ok: boolean;
      error?: string;
      revision: number;
      /** The `revision` the change message said it was made on. */
      baseRevision?: number;
      refused?: ChangeRefusal[];
      /** Applied without a compile: live params went straight to the running nodes. */
      live?: boolean;
    }
  /**
   * Changes the session applied that this client did not send (Scope data-channel parameters
   * on the same session), with the revision they made: apply them to stay in step.
   */
  | { type: 'patch.changes'; changes: PatchChange[]; revision: number; origin: 'parameters' }
  /**
   * With `?frames=hash` on the socket URL: one per frame an Output node sends, `t` its time on
   * the runtime clock (ms), `hash` a hash of its pixels (deterministic with `?clock=fixed`).
   */
  | { type: 'frame'; node: string; t: number; seq: number; hash: string }
  | { type: 'pong'; t: number }
  /** Sent once per flood: messages over the socket's rate limit are dropped (and counted). */
  | { type: 'warning'; code: 'rate_limited'; message: string };

// ---- the headless player page (/play) and its scripts (runtime/playwright) ----

/** Where the player is: `error` carries the reason; `running` means the session runs and media is attached. */
export type PlayerStatus = 'loading' | 'connecting' | 'starting' | 'running' | 'stopped' | 'error';

/** One output frame the runtime produced: its time on the runtime clock (ms) and a hash of its pixels. */
export interface FrameHash {
  t: number;
  seq: number;
  hash: string;
}

/** Pixel statistics of a frame (`sampleOutput()`). */
export interface PixelStats {
  width: number;
  height: number;
  /** Mean red, green, blue (0–255). */
  mean: [number, number, number];
  /** Mean luma (BT.601, 0–255). */
  luma: number;
  /** Standard deviation of luma: near 0 for a flat (black, grey, one-colour) frame. */
  lumaStd: number;
  lumaMin: number;
  lumaMax: number;
  /** Mean luma below 16 (what FFmpeg's blackdetect calls black). */
  black: boolean;
}

export interface PlayerTimeline {
  time: number;
  playing: boolean;
  entry: number | null;
  /** Runtime clock (ms) of the newest produced frame when this was reported. */
  clockAt: number;
}

/** The player's state as scripts read it: `window.patchbay.snapshot()` on /play. Plain JSON. */
export interface PlayerSnapshot {
  status: PlayerStatus;
  /** Why the player stopped (patch not found, compile errors, camera refused, session error). */
  error: string | null;
  /** The patch name or URL from `?patch=`. */
  patch: string;
  clock: 'real' | 'fixed';
  /** The runtime session's state. */
  session: SessionStateName | 'none';
  sessionId: string | null;
  /** Per-node stats (about once a second of runtime clock). */
  nodes: Record<string, NodeStats>;
  /** Node errors the runtime reported, oldest first (at most 200). */
  errors: { node: string; message: string; recoverable: boolean }[];
  /** The compiler's diagnostics (non-fatal ones: disabled or degraded nodes). */
  diagnostics: CompileError[];
  /** Nodes that cannot run here because a capability is missing, with the reason. */
  unavailable: { node: string; reason: string }[];
  /** Output node ids in track order. */
  outputs: string[];
  /** Frames the browser decoded and showed, per Output node. */
  framesReceived: Record<string, number>;
  /** Frames the runtime produced, per Output node. */
  framesProduced: Record<string, number>;
  /** Runtime clock of the newest produced frame, ms (null before the first). */
  clockMs: number | null;
  /** Prompt-timeline nodes' transport as last reported. */
  timelines: Record<string, PlayerTimeline>;
  /** The first timeline's time now, seconds (null without a timeline). */
  time: number | null;
}
