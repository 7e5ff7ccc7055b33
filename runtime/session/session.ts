import { randomUUID } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createActor } from 'xstate';
import { registry, showsResult, type VideoFrame } from '../../nodes';
import { applyChanges, serializePatch, type ChangeRefusal, type Patch } from '../../patches';
import { ManualClock, realClock, type Clock } from '../clock';
import { compile, diff, type CompileError, type CompileResult, type Plan } from '../compile';
import {
  Engine,
  FramePorts,
  metrics,
  type EditResult,
  type RuntimeSession,
  type SessionEvents,
  type SessionOptions,
} from '../engine';
import type { NodeStats, PatchChange, SessionStateName } from '../protocol';
import { liveUpdates, withLiveParams, type LiveUpdate } from './live';
import { sessionMachine, stateName, type SessionServices } from './machine';
import { routeParameters, type ParamRouting } from './params';
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
  /** Whether `compiled` is the plan of the current patch (false after a patch that does not compile). */
  private planCurrent = false;
  /** The running plan with the live params applied since the engine last took a plan. */
  private livePlan: Plan | null = null;
  private diags: CompileError[] = [];
  private running: Engine | null = null;
  private engineStopped: Promise<void> = Promise.resolve();
  private pendingPlans: Plan[] = [];
  private pendingWaiters: (() => void)[] = [];
  private pendingParams: Record<string, unknown>[] = [];
  private readonly listeners = new Map<keyof SessionEvents, Set<Listener>>();
  /** The engine's output and sink ports; every engine this session starts delivers here. */
  private readonly ports: FramePorts;
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
    this.ports = new FramePorts(this.log);
    this.ports.onSink((node, frame) => this.latest.set(node, frame));
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
    return this.running ? (this.livePlan ?? this.running.currentPlan()) : this.compiled;
  }

  diagnostics(): CompileError[] {
    return this.diags;
  }

  async load(patch: Patch): Promise<EditResult> {
    return this.edit(patch, 'PATCH.LOAD');
  }

  /**
   * Applies a batch of edits with patches' applyChanges, all or nothing. A change that does not
   * fit the patch refuses the batch (`refused` names it, the revision stays). Live params (on
   * nodes that run), moves, ui and metadata apply at once without a compile: the params go
   * straight to the running nodes. Anything else compiles; while the session runs, a patch that
   * does not compile is refused too, so `patch()` is always what runs (or will run at start).
   */
  async applyChanges(changes: PatchChange[]): Promise<EditResult> {
    return this.change(changes, 'edit');
  }

  /** The synchronous half of an edit: refused or live results come back at once, compiles later. */
  private change(
    changes: readonly unknown[],
    origin: 'edit' | 'parameters',
  ): EditResult | Promise<EditResult> {
    const r = applyChanges(this.currentPatch, changes);
    if (r.refused.length) {
      const errors = r.refused.map(refusalError);
      return { ok: false, errors, refused: r.refused, revision: this.rev };
    }
    const applied = r.applied.map((i) => changes[i] as PatchChange);
    // Queued plans were compiled before this edit: it goes behind them, through the compiler.
    const quiet = !this.pendingPlans.length && this.state() !== 'compiling';
    const live = quiet ? this.liveOnly(r.patch, applied) : null;
    if (live) return this.applyLive(r.patch, live, applied, origin);
    const before = this.rev;
    return this.edit(r.patch, 'PATCH.CHANGE').then((res) => {
      // Taken (an idle session takes a patch that does not compile, too): say so.
      if (res.revision !== before) this.emit('changes', { changes: applied, revision: res.revision, origin });
      return res;
    });
  }

  /** The live updates a batch amounts to, or null when it needs a compile (see ./live.ts). */
  private liveOnly(next: Patch, changes: PatchChange[]): LiveUpdate[] | null {
    if (!this.compiled || !this.planCurrent) return null;
    return liveUpdates(this.compiled, next, changes, registry);
  }

  /** Takes a patch whose changes need no compile: bumps the revision, updates the nodes that run. */
  private applyLive(
    patch: Patch,
    updates: LiveUpdate[],
    changes: PatchChange[],
    origin: 'edit' | 'parameters',
  ): EditResult {
    this.currentPatch = patch;
    this.rev++;
    if (updates.length && this.compiled) this.compiled = withLiveParams(this.compiled, updates);
    const engine = this.running;
    if (engine && updates.length) {
      for (const u of updates) engine.updateNode(u.node, u.params);
      this.livePlan = withLiveParams(this.livePlan ?? engine.currentPlan(), updates);
    }
    this.emit('changes', { changes, revision: this.rev, origin });
    return { ok: true, errors: [], revision: this.rev, live: true };
  }

  private async edit(patch: Patch, type: 'PATCH.LOAD' | 'PATCH.CHANGE'): Promise<EditResult> {
    const result = this.compilePatch(patch);
    const state = this.state();
    const live = state === 'loading' || state === 'running' || state === 'reconfiguring';
    if (!result.ok && live) {
      // What runs stays, and so does the patch that says so: the edit is refused as a whole.
      const fatal = result.errors.filter((e) => e.fatal);
      return { ok: false, errors: fatal, refused: fatal.map(compileRefusal), revision: this.rev };
    }
    this.currentPatch = patch;
    this.rev++;
    const plan = this.adopt(result);
    const revision = this.rev;
    if (!plan) return { ok: false, errors: this.diags.filter((e) => e.fatal), revision };
    if (live) {
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
    return this.adopt(this.compilePatch(this.currentPatch));
  }

  private compilePatch(patch: Patch): CompileResult {
    const extra = this.options.extraPipelines;
    return compile(patch, this.options.registry ?? registry, {
      capabilities: this.options.capabilities,
      ...(extra ? { extraPipelines: typeof extra === 'function' ? extra() : extra } : {}),
    });
  }

  /** Keeps a compile result of the current patch as the session's plan and diagnostics. */
  private adopt(result: CompileResult): Plan | null {
    this.diags = result.ok ? result.plan.warnings : result.errors;
    this.planCurrent = result.ok;
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
          if (!d.empty) {
            const applying = engine.apply(target, d);
            this.livePlan = null; // the engine's plan is the new one (switched synchronously)
            await applying;
          }
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
      ports: this.ports,
      emit: (event, payload) => this.emit(event, payload),
      patchText: () => {
        try {
          return serializePatch(this.currentPatch);
        } catch {
          return undefined; // a patch that cannot be saved is not embedded either
        }
      },
    });
    this.running = engine;
    this.livePlan = null;
    engine.start();
    // Parameters that came before the start (their patch part is in the plan already).
    for (const p of this.pendingParams.splice(0)) this.toEngine(routeParameters(p, plan));
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
    return this.ports.onOutput(cb);
  }

  onSinkFrame(cb: (node: string, frame: VideoFrame) => void): () => void {
    return this.ports.onSink(cb);
  }

  latestFrame(outputNodeId?: string): VideoFrame | null {
    const plan = this.plan();
    const id = outputNodeId ?? plan?.nodes.find((n) => showsResult(registry.get(n.type)))?.id;
    return id ? (this.latest.get(id) ?? null) : null;
  }

  /**
   * Scope's data-channel parameters. Params a node definition knows become `node.params`
   * changes applied like an edit (so the patch says what runs, and the editor hears of them);
   * prompts, VACE settings, `paused` and keys only a pipeline knows go to the engine directly.
   */
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
    const changes: PatchChange[] = [];
    const direct: ParamRouting['nodeParams'] = [];
    for (const { node, params: p } of routed.nodeParams) {
      const type = plan.nodes.find((n) => n.id === node)?.type;
      const known = (type && registry.get(type)?.paramMeta) as Record<string, unknown> | undefined;
      const inPatch = Object.entries(p).filter(([k]) => known && k in known);
      const rest = Object.entries(p).filter(([k]) => !known || !(k in known));
      if (inPatch.length) changes.push({ op: 'node.params', id: node, params: Object.fromEntries(inPatch) });
      if (rest.length) direct.push({ node, params: Object.fromEntries(rest) });
    }
    if (changes.length) {
      const report = (done: EditResult): void => {
        for (const r of done.refused ?? [])
          this.log(`session ${this.id}: parameters not applied: ${r.reason}`);
      };
      const done = this.change(changes, 'parameters');
      if (done instanceof Promise)
        done.then(report, (error: unknown) =>
          this.log(`session ${this.id}: parameters not applied: ${(error as Error).message}`),
        );
      else report(done);
    }
    if (!engine) {
      // Scope sends initial parameters before the stream runs: keep the rest for the start.
      if (Object.keys(routed.applied).length) this.pendingParams.push(params);
    } else this.toEngine({ ...routed, nodeParams: direct });
    if (Object.keys(routed.applied).length) this.emit('parameters', routed.applied);
    return { applied: routed.applied, ignored: routed.ignored };
  }

  /** Carries out routed parameters on the running engine (no patch change). */
  private toEngine(routed: ParamRouting): void {
    const engine = this.running;
    if (!engine) return;
    for (const { node, params: p } of routed.nodeParams) engine.updateNode(node, p);
    for (const { node, control } of routed.prompts) engine.setPrompts(node, control);
    for (const { node, vace } of routed.vace) engine.setVace(node, vace);
    if (routed.paused !== undefined) engine.setPaused(routed.paused);
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
      this.ports.clear();
      this.latest.clear();
      metrics.sessionClosed();
    })();
    return this.disposed;
  }
}

/** A change refusal as a compile error (EditResult.errors: the shape older clients read). */
function refusalError(r: ChangeRefusal): CompileError {
  return {
    code: 'INVALID_PATCH',
    fatal: true,
    message: `change ${r.index} (${r.op}): ${r.reason}`,
    path: ['changes', r.index],
    ...(r.node !== undefined ? { node: r.node } : {}),
    ...(r.edge !== undefined ? { edge: r.edge } : {}),
  };
}

/** A fatal compile error as the refusal of a whole batch (index -1). */
function compileRefusal(e: CompileError): ChangeRefusal {
  return {
    index: -1,
    op: '',
    reason: e.message,
    ...(e.node !== undefined ? { node: e.node } : {}),
    ...(e.edge !== undefined ? { edge: e.edge } : {}),
  };
}
