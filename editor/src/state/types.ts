import type { Patch } from '../../../patches';
import type { ChangeRefusal, CompileError, NodeStats, SessionStateName } from '../../../runtime/protocol';
import type { StorageLike } from '../files';
import type { History } from '../graph';
import type { ConnectionState, SocketLike } from '../runtime';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
  action?: { label: string; run: () => void };
}

export interface TimelineState {
  time: number;
  playing: boolean;
  entry: number | null;
}

/**
 * Everything the editor shows; replaced (never mutated) on each update. Grouped by the slice
 * that writes it (document.ts, runtime-link.ts, media.ts, ui.ts).
 */
export interface EditorState {
  // document
  patch: Patch;
  history: History;
  selectedNodes: ReadonlySet<string>;
  selectedEdges: ReadonlySet<string>;
  fileName: string | null;
  dirty: boolean;
  // runtime link
  connection: ConnectionState;
  connectionDetail: string | null;
  sessionId: string | null;
  runState: SessionStateName;
  runError: string | null;
  revision: number;
  stats: Record<string, NodeStats>;
  diagnostics: CompileError[];
  nodeErrors: Record<string, string>;
  timelines: Record<string, TimelineState>;
  // media
  streams: Record<string, MediaStream>;
  cameraProblem: { message: string; nodes: string[] } | null;
  /** Whether Run was pressed (the user's intent, kept while the runtime reconnects). */
  wantRunning: boolean;
  /**
   * Edits the runtime refused since it last took the whole patch (newest last, at most 20):
   * nothing of them runs. Cleared when a resent patch is applied.
   */
  refusedEdits: RefusedEdit[];
  // ui
  /** Node id shown in the big preview panel (an Output), or null for the first one. */
  previewNode: string | null;
  toasts: Toast[];
  /** The refusal shown near the cursor after a failed connect. */
  connectHint: { text: string; x: number; y: number } | null;
}

/** A change batch (or patch load) the runtime refused, as its ack said. */
export interface RefusedEdit {
  requestId: string;
  /** The runtime revision the edit was made on, and the one the runtime stayed at. */
  baseRevision: number | null;
  revision: number;
  error: string;
  /** Each refused change with its reason and node/edge (index -1: the patch would not compile). */
  refused: ChangeRefusal[];
}

export interface StoreOptions {
  storage?: StorageLike | null;
  /** ws:// URL of /api/v1/runtime (with the launch token); null: work offline. */
  runtimeUrl?: string | null;
  createSocket?: (url: string) => SocketLike;
  /** Clock for history coalescing. */
  now?: () => number;
}

/** What every slice sees of the one store: its options, clock and state. */
export interface StoreCore {
  readonly opts: StoreOptions;
  readonly now: () => number;
  get(): EditorState;
  set(partial: Partial<EditorState>): void;
}

/** True for session states in which media flows. */
export function isLive(state: SessionStateName): boolean {
  return state === 'running' || state === 'reconfiguring' || state === 'loading';
}
