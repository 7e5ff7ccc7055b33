import { assign, fromCallback, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import type { Plan } from '../compile';
import type { SessionStateName } from '../protocol';

/**
 * A session's life as an xstate machine: idle → compiling → loading (models) → running ⇄
 * reconfiguring → stopping → idle, and `error`, which says why and is left by a new
 * PATCH.LOAD / PATCH.CHANGE or SESSION.START (or SESSION.STOP back to idle). The side effects
 * are invoked actors built on the `services` given as input, so the machine can be tested with
 * fakes and an injected clock, and the engine is always stopped when its state is left.
 */

/** What the machine asks of the world. The session implements it with the compiler and the engine. */
export interface SessionServices {
  /** Compiles the current patch; rejects with the reason when it has fatal errors. */
  compile(): Promise<Plan>;
  /**
   * Starts the engine for `plan`; calls `ready` once every model has loaded (or failed and
   * passes frames through) and `failed` when it cannot run. Returns a cleanup that begins
   * stopping it (the `stop` service waits for the end).
   */
  startEngine(plan: Plan, events: { ready(): void; failed(message: string): void }): () => void;
  /** Applies the newest pending edit(s) to the running engine. */
  reconfigure(): Promise<void>;
  /** Resolves when the engine has fully stopped (workers ended, pool freed). */
  stopEngine(): Promise<void>;
}

export interface SessionMachineContext {
  services: SessionServices;
  plan: Plan | null;
  error: string | null;
  /** How long `loading` waits for models before running anyway (their nodes pass frames through). */
  loadTimeoutMs: number;
}

export type SessionMachineEvent =
  | { type: 'SESSION.START' }
  | { type: 'SESSION.STOP' }
  | { type: 'PATCH.LOAD' }
  | { type: 'PATCH.CHANGE' }
  | { type: 'ENGINE.READY' }
  | { type: 'ENGINE.FAILED'; error: string };

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export const sessionMachine = setup({
  types: {
    context: {} as SessionMachineContext,
    events: {} as SessionMachineEvent,
    input: {} as { services: SessionServices; loadTimeoutMs?: number },
  },
  actors: {
    compile: fromPromise<Plan, { services: SessionServices }>(({ input }) => input.services.compile()),
    engine: fromCallback<SessionMachineEvent, { services: SessionServices; plan: Plan }>(
      ({ input, sendBack }) => {
        let cleanup: (() => void) | null = null;
        try {
          cleanup = input.services.startEngine(input.plan, {
            ready: () => sendBack({ type: 'ENGINE.READY' }),
            failed: (error) => sendBack({ type: 'ENGINE.FAILED', error }),
          });
        } catch (error) {
          sendBack({ type: 'ENGINE.FAILED', error: message(error) });
        }
        return () => cleanup?.();
      },
    ),
    reconfigure: fromPromise<void, { services: SessionServices }>(({ input }) =>
      input.services.reconfigure(),
    ),
    stopEngine: fromPromise<void, { services: SessionServices }>(({ input }) => input.services.stopEngine()),
  },
  actions: {
    clearError: assign({ error: null }),
  },
  delays: {
    loadTimeout: ({ context }) => context.loadTimeoutMs,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    services: input.services,
    plan: null,
    error: null,
    loadTimeoutMs: input.loadTimeoutMs ?? 30_000,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: { 'SESSION.START': 'compiling' },
    },
    compiling: {
      entry: 'clearError',
      invoke: {
        src: 'compile',
        input: ({ context }) => ({ services: context.services }),
        onDone: { target: 'active', actions: assign({ plan: ({ event }) => event.output }) },
        onError: { target: 'error', actions: assign({ error: ({ event }) => message(event.error) }) },
      },
      on: { 'SESSION.STOP': 'idle' },
    },
    active: {
      invoke: {
        src: 'engine',
        input: ({ context }) => ({ services: context.services, plan: context.plan! }),
      },
      initial: 'loading',
      states: {
        loading: {
          on: { 'ENGINE.READY': 'running' },
          after: { loadTimeout: 'running' },
        },
        running: {},
        reconfiguring: {
          invoke: {
            src: 'reconfigure',
            input: ({ context }) => ({ services: context.services }),
            // A failed edit keeps the running plan; the session reports the diagnostics.
            onDone: 'running',
            onError: 'running',
          },
          // Edits arriving now are picked up by the same reconfigure run (it drains the queue).
          on: { 'PATCH.LOAD': {}, 'PATCH.CHANGE': {} },
        },
      },
      on: {
        'PATCH.LOAD': '.reconfiguring',
        'PATCH.CHANGE': '.reconfiguring',
        'SESSION.STOP': 'stopping',
        'ENGINE.FAILED': {
          target: 'stoppingOnError',
          actions: assign({ error: ({ event }) => event.error }),
        },
      },
    },
    stopping: {
      invoke: {
        src: 'stopEngine',
        input: ({ context }) => ({ services: context.services }),
        onDone: 'idle',
        onError: {
          target: 'error',
          actions: assign({ error: ({ event }) => `stopping failed: ${message(event.error)}` }),
        },
      },
    },
    /** The engine failed: wait for it to be fully stopped, then say why. */
    stoppingOnError: {
      invoke: {
        src: 'stopEngine',
        input: ({ context }) => ({ services: context.services }),
        onDone: 'error',
        onError: 'error',
      },
    },
    error: {
      on: {
        'SESSION.START': 'compiling',
        'PATCH.LOAD': 'compiling',
        'PATCH.CHANGE': 'compiling',
        'SESSION.STOP': { target: 'idle', actions: 'clearError' },
      },
    },
  },
});

export type SessionActor = ActorRefFrom<typeof sessionMachine>;

/** The state name the protocol shows for a machine snapshot. */
export function stateName(snapshot: SnapshotFrom<typeof sessionMachine>): SessionStateName {
  const v = snapshot.value;
  if (typeof v === 'string') return v === 'stoppingOnError' ? 'stopping' : (v as SessionStateName);
  return Object.values(v)[0] as SessionStateName;
}
