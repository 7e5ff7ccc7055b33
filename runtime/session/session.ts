import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createActor } from 'xstate';
import { registry, showsResult, type VideoFrame } from '../../nodes';
import type { Patch } from '../../patches';
import { ManualClock, realClock, type Clock } from '../clock';
import { compile, diff, type CompileError, type Plan } from '../compile';
import {
  Engine,
  metrics,
  type EditResult,
  type RuntimeSession,
  type SessionEvents,
  type SessionOptions,
} from '../engine';
import type { NodeStats, PatchChange, SessionStateName } from '../protocol';
import { applyPatchChanges } from './changes';
import { sessionMachine, stateName, type SessionServices } from './machine';
import { routeParameters } from './params';
import { defaultModelsDir } from '../pipelines';

/** Options beyond the engine API's, for tests and tools. */
export interface SessionExtraOptions {
  /** A module exporting `createProcessor` that replaces the pipeline backends (tests). */
  processorModule?: string;
  /** Most frame slots alive at once. */
  maxSlots?: number;
  /** How long `loading` waits for models before running with warming nodes passing through. */
  loadTimeoutMs?: number;
}

/** A RuntimeSession plus what tests and the CLI need to look inside. */
export interface EngineSession extends RuntimeSession {
  /** The running engine, or null when not running (tests kill its workers). */
  engine(): Engine | null;
  /** The clock the session runs on (a ManualClock in fixed mode). */
  clock(): Clock;
  /** Every frame reaching an Output or Record node, by node id (recorders, sinks, `play`). */
  onSinkFrame(cb: (node: string, frame: VideoFrame) => void): () => void;
}

/** xstate wants setTimeout/clearTimeout; ours returns a cancel function. */
function xstateClock(clock: Clock) {
  const cancels = new Map<number, () => void>();
  let next = 1;
  return {
    setTimeout(fn: () => void, ms: number): number {
      const id = next++;
      cancels.set(
        id,
        clock.setTimeout(() => {
          cancels.delete(id);
          fn();
        }, ms),
      );
      return id;
    },
    clearTimeout(id: number): void {
      cancels.get(id)?.();
      cancels.delete(id);
    },
  };
}

/**
 * Keeps track indices stable across edits: a track that stays keeps its index, a new one
 * takes the lowest free index. The client's transceivers never move under it.
 */
export function stabiliseTracks(prev: Plan | null, next: Plan): Plan {
  if (!prev) return next;
  const keep = <T extends { node: string; index: number }>(before: T[], after: T[]): T[] => {
    const old = new Map(before.map((t) => [t.node, t.index]));
    const used = new Set(after.filter((t) => old.has(t.node)).map((t) => old.get(t.node)!));
    let free = 0;
    return after.map((t) => {
      if (old.has(t.node)) return { ...t, index: old.get(t.node)! };
      while (used.has(free)) free++;
      used.add(free);
      return { ...t, index: free };
    });
  };
  return {
    ...next,
    outputTracks: keep(prev.outputTracks, next.outputTracks),
    inputTracks: keep(prev.inputTracks, next.inputTracks),
  };
}

/**
 * Creates a session for a patch. It compiles at once (diagnostics are available before
 * start) and runs when started; edits and parameter changes apply live while it runs.
 *
 * @example
 * const s = createSession({ patch, capabilities: defaultCapabilities() });
 * s.onOutputFrame((i, frame) => encoder.push(i, frame));
 * await s.start();
 */
export function createSession(options: SessionOptions & SessionExtraOptions): EngineSession {
  return new Session(options);
}

type Listener = (payload: never) => void;

class Session implements EngineSession {
  readonly id = randomUUID();
  private currentPatch: Patch;
  private rev = 0;
  private compiled: Plan | null = null;
  private diags: CompileError[] = [];
  private running: Engine | null = null;
  private engineStopped: Promise<void> = Promise.resolve();
  private pendingPlans: Plan[] = [];
  private pendingWaiters: (() => void)[] = [];
  private pendingParams: Record<string, unknown>[] = [];
  private readonly listeners = new Map<keyof SessionEvents, Set<Listener>>();
  private readonly outputListeners = new Set<(index: number, frame: VideoFrame) => void>();
  private readonly sinkListeners = new Set<(node: string, frame: VideoFrame) => void>();
  private readonly latest = new Map<string, VideoFrame>();
  private readonly runClock: Clock;
  private readonly fixed: boolean;
  private readonly actor;
  private lastState: SessionStateName = 'idle';
  private disposed: Promise<void> | null = null;
  private readonly log: (line: string) => void;

  constructor(private readonly options: SessionOptions & SessionExtraOptions) {
    this.fixed = options.clockMode === 'fixed';
    this.runClock = this.fixed
      ? options.clock instanceof ManualClock
        ? options.clock
        : new ManualClock(0)
      : (options.clock ?? realClock);
    this.log = options.log ?? (() => undefined);
    this.currentPatch = options.patch;
    this.recompile();
    const services: SessionServices = {
      compile: async () => {
        const plan = this.recompile();
        if (!plan) throw new Error(this.fatalSummary());
        return plan;
      },
      startEngine: (plan, events) => this.startEngine(plan, events),
      reconfigure: () => this.drainPlans(),
      stopEngine: () => this.engineStopped,
    };
    this.actor = createActor(sessionMachine, {
      input: {
        services,
        ...(options.loadTimeoutMs !== undefined ? { loadTimeoutMs: options.loadTimeoutMs } : {}),
      },
      clock: xstateClock(this.runClock),
    });
    this.actor.subscribe((snapshot) => {
      const name = stateName(snapshot);
      if (name === this.lastState && name !== 'error') return;
      this.lastState = name;
      const error = snapshot.context.error;
      this.emit('state', error && name === 'error' ? { state: name, error } : { state: name });
    });
    this.actor.start();
    metrics.sessionOpened();
  }

  // --- patch and plan ------------------------------------------------------------------------

  state(): SessionStateName {
    return stateName(this.actor.getSnapshot());
  }

  patch(): Patch {
    return this.currentPatch;
  }

  revision(): number {
    return this.rev;
  }

  plan(): Plan | null {
    return this.running?.currentPlan() ?? this.compiled;
  }

  diagnostics(): CompileError[] {
    return this.diags;
  }

  async load(patch: Patch): Promise<EditResult> {
    return this.edit(patch, 'PATCH.LOAD');
  }

  async applyChanges(changes: PatchChange[]): Promise<EditResult> {
    const { patch, errors } = applyPatchChanges(this.currentPatch, changes);
    if (errors.length) {
      this.emit('diagnostics', { errors, revision: this.rev });
      return { ok: false, errors, revision: this.rev };
    }
    return this.edit(patch, 'PATCH.CHANGE');
  }

  private async edit(patch: Patch, type: 'PATCH.LOAD' | 'PATCH.CHANGE'): Promise<EditResult> {
    this.currentPatch = patch;
    this.rev++;
    const plan = this.recompile();
    const revision = this.rev;
    if (!plan) return { ok: false, errors: this.diags.filter((e) => e.fatal), revision };
    const state = this.state();
    if (state === 'loading' || state === 'running' || state === 'reconfiguring') {
      const applied = new Promise<void>((resolve) => this.pendingWaiters.push(resolve));
      this.pendingPlans.push(plan);
      this.actor.send({ type });
      await applied;
    } else if (state === 'error') {
      this.actor.send({ type });
    }
    return { ok: true, errors: [], revision };
  }

  /** Compiles the current patch; keeps and announces the diagnostics; null on fatal errors. */
  private recompile(): Plan | null {
    const extra = this.options.extraPipelines;
    const result = compile(this.currentPatch, this.options.registry ?? registry, {
      capabilities: this.options.capabilities,
      ...(extra ? { extraPipelines: typeof extra === 'function' ? extra() : extra } : {}),
    });
    this.diags = result.ok ? result.plan.warnings : result.errors;
    this.emit('diagnostics', { errors: this.diags, revision: this.rev });
    if (!result.ok) return null;
    this.compiled = stabiliseTracks(this.running?.currentPlan() ?? this.compiled, result.plan);
    return this.compiled;
  }

  private fatalSummary(): string {
    const fatal = this.diags.filter((e) => e.fatal);
    return `the patch does not compile: ${fatal.map((e) => e.message).join('; ')}`;
  }

  /** Applies the newest queued plan (older ones are superseded) until none is left. */
  private async drainPlans(): Promise<void> {
    while (this.pendingPlans.length) {
      const next = this.pendingPlans[this.pendingPlans.length - 1]!;
      this.pendingPlans = [];
      const waiters = this.pendingWaiters;
      this.pendingWaiters = [];
      const engine = this.running;
      try {
        if (engine) {
          const target = stabiliseTracks(engine.currentPlan(), next);
          const d = diff(engine.currentPlan(), target);
          if (!d.empty) await engine.apply(target, d);
        }
      } finally {
        for (const w of waiters) w();
      }
    }
  }

  // --- running -------------------------------------------------------------------------------

  private startEngine(plan: Plan, events: { ready(): void; failed(message: string): void }): () => void {
    const engine = new Engine({
      plan,
      ...(this.options.registry ? { registry: this.options.registry } : {}),
      clock: this.runClock,
      fixed: this.fixed,
      modelsDir: this.options.modelsDir ?? defaultModelsDir(),
      assetsDir: this.options.assetsDir ?? join(homedir(), '.patchbay', 'assets'),
      ...(this.options.recordingsDir ? { recordingsDir: this.options.recordingsDir } : {}),
      ...(this.options.processorModule ? { processorModule: this.options.processorModule } : {}),
      ...(this.options.maxSlots ? { maxSlots: this.options.maxSlots } : {}),
      log: this.log,
      emit: (event, payload) => this.emit(event, payload),
    });
    this.running = engine;
    engine.onOutputFrame((index, frame) => {
      for (const cb of this.outputListeners) this.guard('output frame', () => cb(index, frame));
    });
    engine.onSinkFrame((node, frame) => {
      this.latest.set(node, frame);
      for (const cb of this.sinkListeners) this.guard('sink frame', () => cb(node, frame));
    });
    engine.start();
    for (const p of this.pendingParams.splice(0)) this.setParameters(p);
    let done = false;
    void engine.whenLoaded().then(() => {
      if (!done) events.ready();
    });
    return () => {
      done = true;
      if (this.running === engine) this.running = null;
      this.engineStopped = engine.stop();
      // Edits waiting for this engine are answered: the plan they carry is the session's plan.
      for (const w of this.pendingWaiters.splice(0)) w();
      this.pendingPlans = [];
    };
  }

  async start(): Promise<void> {
    const s = this.state();
    if (s === 'loading' || s === 'running' || s === 'reconfiguring') return;
    if (s === 'stopping') await this.waitFor((x) => x === 'idle' || x === 'error');
    this.actor.send({ type: 'SESSION.START' });
    const end = await this.waitFor((x) => x === 'running' || x === 'error' || x === 'idle');
    if (end !== 'running')
      throw new Error(this.actor.getSnapshot().context.error ?? `the session did not start (${end})`);
  }

  async stop(): Promise<void> {
    const s = this.state();
    if (s === 'idle') return;
    if (s === 'error') {
      this.actor.send({ type: 'SESSION.STOP' });
      return;
    }
    if (s === 'compiling') await this.waitFor((x) => x !== 'compiling');
    this.actor.send({ type: 'SESSION.STOP' });
    await this.waitFor((x) => x === 'idle' || x === 'error');
  }

  private waitFor(pred: (s: SessionStateName) => boolean): Promise<SessionStateName> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const s = this.state();
        if (pred(s)) {
          resolve(s);
          return true;
        }
        return false;
      };
      if (check()) return;
      const sub = this.actor.subscribe(() => {
        if (check()) sub.unsubscribe();
      });
    });
  }

  pushInputFrame(index: number, frame: VideoFrame): void {
    this.running?.pushInputFrame(index, frame);
  }

  onOutputFrame(cb: (index: number, frame: VideoFrame) => void): () => void {
    this.outputListeners.add(cb);
    return () => this.outputListeners.delete(cb);
  }

  onSinkFrame(cb: (node: string, frame: VideoFrame) => void): () => void {
    this.sinkListeners.add(cb);
    return () => this.sinkListeners.delete(cb);
  }

  latestFrame(outputNodeId?: string): VideoFrame | null {
    const plan = this.plan();
    const id = outputNodeId ?? plan?.nodes.find((n) => showsResult(registry.get(n.type)))?.id;
    return id ? (this.latest.get(id) ?? null) : null;
  }

  setParameters(params: Record<string, unknown>): {
    applied: Record<string, unknown>;
    ignored: Record<string, string>;
  } {
    const engine = this.running;
    const plan = this.plan();
    if (!plan)
      return {
        applied: {},
        ignored: Object.fromEntries(Object.keys(params).map((k) => [k, 'the patch does not compile'])),
      };
    const routed = routeParameters(params, engine?.currentPlan() ?? plan);
    if (!engine) {
      // Scope sends initial parameters before the stream runs: keep them for the start.
      if (Object.keys(routed.applied).length) this.pendingParams.push(params);
    } else {
      for (const { node, params: p } of routed.nodeParams) engine.updateNode(node, p);
      for (const { node, control } of routed.prompts) engine.setPrompts(node, control);
      for (const { node, vace } of routed.vace) engine.setVace(node, vace);
      if (routed.paused !== undefined) engine.setPaused(routed.paused);
    }
    if (Object.keys(routed.applied).length) this.emit('parameters', routed.applied);
    return { applied: routed.applied, ignored: routed.ignored };
  }

  stats(): Record<string, NodeStats> {
    if (this.running) return this.running.stats();
    const out: Record<string, NodeStats> = {};
    for (const n of this.plan()?.nodes ?? []) {
      out[n.id] = {
        status: n.disabled ? 'disabled' : 'idle',
        fps_in: 0,
        fps_out: 0,
        ms_p50: 0,
        ms_p99: 0,
        queue_depth: 0,
        drops: 0,
        frames_in: 0,
        frames_out: 0,
        ...(n.disabled ? { message: n.disabled.reason } : {}),
      };
    }
    return out;
  }

  timelinePlay(node: string): void {
    this.running?.timeline(node)?.play();
  }

  timelinePause(node: string): void {
    this.running?.timeline(node)?.pause();
  }

  timelineSeek(node: string, seconds: number): void {
    if (Number.isFinite(seconds)) this.running?.timeline(node)?.seek(seconds);
  }

  on<K extends keyof SessionEvents>(event: K, cb: (payload: SessionEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb as Listener);
    return () => set.delete(cb as Listener);
  }

  private emit<K extends keyof SessionEvents>(event: K, payload: SessionEvents[K]): void {
    for (const cb of this.listeners.get(event) ?? [])
      this.guard(event, () => (cb as (p: SessionEvents[K]) => void)(payload));
  }

  /** Runs one listener; its bug is logged and never stops the show or the other listeners. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.log(`session ${this.id}: a "${what}" listener threw: ${(error as Error).message}`);
    }
  }

  engine(): Engine | null {
    return this.running;
  }

  clock(): Clock {
    return this.runClock;
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      await this.stop();
      await this.engineStopped;
      this.actor.stop();
      this.listeners.clear();
      this.outputListeners.clear();
      this.sinkListeners.clear();
      this.latest.clear();
      metrics.sessionClosed();
    })();
    return this.disposed;
  }
}
