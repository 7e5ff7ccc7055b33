import type {
  CompileError,
  FrameHash,
  PlayerSnapshot,
  RuntimeServerMessage,
} from '../../../runtime/protocol';

/**
 * The player's state as scripts read it (`window.patchbay.snapshot()`): plain JSON, updated from
 * the runtime's WebSocket messages by {@link applyServerMessage}, a pure function so it is
 * tested without a browser.
 */

/** The state without `time` (computed when a snapshot is taken). */
export type PlayerState = Omit<PlayerSnapshot, 'time'>;

/** Produced-frame hashes kept per output (the oldest are dropped beyond this). */
export const MAX_HASHES = 20_000;
const MAX_ERRORS = 200;

/** A fresh state for a player of `patch`. */
export function initialPlayerState(patch: string, clock: 'real' | 'fixed'): PlayerState {
  return {
    status: 'loading',
    error: null,
    patch,
    clock,
    session: 'none',
    sessionId: null,
    nodes: {},
    errors: [],
    diagnostics: [],
    unavailable: [],
    outputs: [],
    framesReceived: {},
    framesProduced: {},
    clockMs: null,
    timelines: {},
  };
}

/** Nodes a missing host capability keeps from running, from compiler diagnostics. */
export function unavailableNodes(diagnostics: readonly CompileError[]): { node: string; reason: string }[] {
  return diagnostics
    .filter((d) => !d.fatal && d.code === 'MISSING_CAPABILITY')
    .map((d) => ({ node: d.node ?? '', reason: d.hint ? `${d.message} (${d.hint})` : d.message }));
}

/**
 * Timeline time in seconds now: the last reported time plus, while playing, the runtime clock
 * that has passed since (frames carry the runtime clock, so this also holds for a fixed clock).
 */
export function timelineTime(state: PlayerState, node?: string): number | null {
  const id = node ?? Object.keys(state.timelines)[0];
  const tl = id ? state.timelines[id] : undefined;
  if (!tl) return null;
  if (!tl.playing || state.clockMs === null) return tl.time;
  return tl.time + Math.max(0, state.clockMs - tl.clockAt) / 1000;
}

/**
 * Folds one runtime message into the state. `hashes` receives produced-frame hashes (kept
 * outside the state so snapshots stay small). Returns the new state (the input is not changed).
 */
export function applyServerMessage(
  state: PlayerState,
  msg: RuntimeServerMessage,
  hashes?: (node: string, h: FrameHash) => void,
): PlayerState {
  switch (msg.type) {
    case 'hello':
      return { ...state, sessionId: msg.sessionId };
    case 'state': {
      const next: PlayerState = { ...state, session: msg.state };
      if (msg.state === 'error') {
        next.status = 'error';
        next.error = msg.error ?? 'the session stopped with an error';
      } else if (msg.state === 'idle' && state.status === 'running') {
        next.status = 'stopped';
      }
      return next;
    }
    case 'diagnostics': {
      const fatal = msg.errors.filter((e) => e.fatal);
      const next = { ...state, diagnostics: msg.errors, unavailable: unavailableNodes(msg.errors) };
      if (fatal.length) {
        next.status = 'error';
        next.error = `the patch does not compile: ${fatal.map((e) => (e.node ? `${e.node}: ${e.message}` : e.message)).join('; ')}`;
      }
      return next;
    }
    case 'stats':
      return { ...state, nodes: msg.nodes };
    case 'node.error':
      return {
        ...state,
        errors: [
          ...state.errors,
          { node: msg.node, message: msg.message, recoverable: msg.recoverable },
        ].slice(-MAX_ERRORS),
      };
    case 'timeline':
      return {
        ...state,
        timelines: {
          ...state.timelines,
          [msg.node]: { time: msg.time, playing: msg.playing, entry: msg.entry, clockAt: state.clockMs ?? 0 },
        },
      };
    case 'frame':
      hashes?.(msg.node, { t: msg.t, seq: msg.seq, hash: msg.hash });
      return {
        ...state,
        clockMs: Math.max(state.clockMs ?? 0, msg.t),
        framesProduced: { ...state.framesProduced, [msg.node]: (state.framesProduced[msg.node] ?? 0) + 1 },
      };
    default:
      return state;
  }
}
