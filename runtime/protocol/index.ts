/**
 * The runtime ↔ editor protocol over the WebSocket `/api/v1/runtime`, plus the shapes of
 * per-node stats. Types only (the editor imports this file and nothing else from runtime/).
 */
import type { PatchEdge, PatchNode, Patch } from '../../patches';
import type { CompileError } from '../compile/types';

export type { CompileError, CompileErrorCode, Plan, PlanDiff } from '../compile/types';

/**
 * One edit to a patch. The editor produces these from its own edits, applies them locally,
 * sends them to the runtime (live edits) and keeps them for undo/redo.
 */
export type PatchChange =
  | { op: 'node.add'; node: PatchNode }
  | { op: 'node.remove'; id: string }
  /** Params to merge (by name, shallow) into the node's params. */
  | { op: 'node.params'; id: string; params: Record<string, unknown> }
  | { op: 'node.move'; id: string; position: { x: number; y: number } }
  | { op: 'node.ui'; id: string; ui: Record<string, unknown> }
  | { op: 'edge.add'; edge: PatchEdge }
  | { op: 'edge.remove'; id: string }
  | { op: 'metadata'; metadata: Record<string, unknown> };

/** The session machine's states, as the client sees them. */
export type SessionStateName =
  | 'idle'
  | 'compiling'
  | 'loading'
  | 'running'
  | 'reconfiguring'
  | 'stopping'
  | 'error';

/** Per-node status shown on the node in the editor. */
export type NodeStatus = 'idle' | 'warming' | 'running' | 'holding' | 'error' | 'disabled' | 'degraded';

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

/** Client → runtime. */
export type RuntimeClientMessage =
  /** Replace the session's patch (compiles; if running, reconfigures live). */
  | { type: 'patch.load'; patch: Patch; requestId?: string }
  /** Apply edits to the session's patch (live while running). `revision` is the client's base. */
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
  | { type: 'state'; state: SessionStateName; error?: string; revision: number; webrtcSessionId?: string | null }
  /** Compiler diagnostics for the current patch (fatal or not). */
  | { type: 'diagnostics'; errors: CompileError[]; revision: number }
  /** Sent about once a second while running. */
  | { type: 'stats'; nodes: Record<string, NodeStats>; t: number }
  /** A runtime error attributed to a node (worker crash, model failure). */
  | { type: 'node.error'; node: string; message: string; recoverable: boolean }
  | { type: 'timeline'; node: string; time: number; playing: boolean; entry: number | null }
  | { type: 'ack'; requestId: string; ok: boolean; error?: string; revision: number }
  | { type: 'pong'; t: number };
