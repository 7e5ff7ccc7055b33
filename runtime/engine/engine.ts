import {
  PlaceholderRuntime,
  registry as builtinRegistry,
  type ControlValue,
  type NodeContext,
  type NodeHost,
  type NodeRegistry,
  type NodeRuntime,
  type NodeStats,
  type PortAddress,
  type PromptControl,
  type TimelineEvent,
  type VaceControl,
  type VideoFrame,
} from '../../nodes';
import type { PortRef } from '../../patches';
import type { Plan, PlanDiff, PlanNode } from '../compile';
import { ManualClock } from '../clock';
import type { Clock, SessionEvents } from './api';
import { FramePool, type FrameHandle } from './frame-pool';
import { createNodeHost, recordingsDirFor } from './host';
import { metrics } from './metrics';
import { FramePorts } from './ports';
import { prewarmWorker, type WorkerHost } from './worker-host';

/**
 * Runs one plan: a runtime per node, frames routed along stream edges as pool handles, stats
 * once a second, live edits applied between two frames. Sources, control nodes and sinks run
 * here on the main thread; each Pipeline node runs its processor in its own worker thread.
 */

export interface EngineOptions {
  plan: Plan;
  clock: Clock;
  /** Deterministic playback: `clock` must be a ManualClock; the engine steps it when idle. */
  fixed: boolean;
  modelsDir: string;
  /** Folder Camera video files are read from. */
  assetsDir?: string;
  /** Where node recordings go (default `recordings/` beside the assets folder). */
  recordingsDir?: string;
  /** A module exporting `createProcessor` that replaces the default backends (tests). */
  processorModule?: string;
  /** Most frame slots alive at once (default 64). */
  maxSlots?: number;
  /** Node types to run (default: the built-ins); node packages add theirs. */
  registry?: NodeRegistry;
  log: (line: string) => void;
  /** Where frames leave the engine; the session passes its own so consumers outlive the engine. */
  ports?: FramePorts;
  emit: <K extends keyof SessionEvents>(event: K, payload: SessionEvents[K]) => void;
  /** The running patch as `.patch` text (recordings carry it). */
  patchText?: () => string | undefined;
}

type Route = PortRef;

const STATS_MS = 1000;
/** A node error sends the stats at once (at most this often), so a short error is still seen. */
const ERROR_STATS_MIN_MS = 200;

/** Engines started in this process and not yet stopped (the test hook reaches them). */
const liveEngines = new Set<Engine>();
let testHooksInstalled = false;

/**
 * `PATCHBAY_TEST_HOOKS=1` in the process's environment (never set by the product itself): on
 * SIGUSR2 every pipeline worker of every running engine is terminated, as a crash would end it,
 * so end-to-end tests can check crash recovery against the real `patchbay serve` from outside.
 * Without the variable no signal handler is installed and nothing changes.
 */
function installTestHooks(log: (line: string) => void): void {
  if (testHooksInstalled || process.env.PATCHBAY_TEST_HOOKS !== '1') return;
  testHooksInstalled = true;
  log('PATCHBAY_TEST_HOOKS=1: SIGUSR2 terminates every pipeline worker (crash tests)');
  process.on('SIGUSR2', () => {
    for (const engine of liveEngines) engine.killWorkers('SIGUSR2 test hook');
  });
}

export class Engine implements NodeContext {
  readonly pool: FramePool;
  readonly clock: Clock;
  readonly fixed: boolean;
  readonly host: NodeHost;
  paused = false;
  private readonly registry: NodeRegistry;
  private plan: Plan;
  private readonly nodes = new Map<string, NodeRuntime>();
  private routes = new Map<string, Route[]>();
  private outputTrack = new Map<string, number>();
  private inputNode = new Map<number, string>();
  /** Output and sink frames leave here (the session's ports, or the engine's own). */
  readonly ports: FramePorts;
  /** Values set over Scope's data channel, per node and key (`prompts`, `vace`). */
  private readonly channel = new Map<string, Map<string, ControlValue>>();
  private cancelStats: (() => void) | null = null;
  private stepScheduled = false;
  private stopped = false;
  private started = false;
  private stopping: Promise<void> | null = null;
  private loadWaiters: (() => void)[] = [];
  private lastErrorStats = -Infinity;

  constructor(private readonly options: EngineOptions) {
    this.plan = options.plan;
    this.clock = options.clock;
    this.fixed = options.fixed;
    this.registry = options.registry ?? builtinRegistry;
    if (this.fixed && !(this.clock instanceof ManualClock))
      throw new Error('fixed clock mode needs a ManualClock');
    this.ports = options.ports ?? new FramePorts(options.log);
    this.pool = new FramePool({ maxSlots: options.maxSlots ?? 64 });
    const assetsDir = options.assetsDir ?? 'assets';
    this.host = createNodeHost({
      pool: this.pool,
      clock: this.clock,
      modelsDir: options.modelsDir,
      assetsDir,
      recordingsDir: options.recordingsDir ?? recordingsDirFor(assetsDir),
      processorModule: options.processorModule,
      patchText: options.patchText,
    });
    metrics.addPool(this.pool);
  }

  /** Creates and starts every node of the plan. */
  start(): void {
    if (this.started) return;
    this.started = true;
    liveEngines.add(this);
    installTestHooks(this.options.log);
    this.applyRouting(this.plan);
    this.addNodes(this.plan.nodes);
    // A live edit may insert a Pipeline later: have a warm worker waiting. Real time only: fixed
    // playback waits for every load anyway, so a spare booting would only take CPU from it.
    if (!this.fixed) prewarmWorker();
    this.scheduleStats();
    this.kick();
  }

  /** True when every pipeline has finished loading (ready, or failed and passing through). */
  loaded(): boolean {
    for (const rt of this.nodes.values()) if (rt.loading?.()) return false;
    return true;
  }

  /** Resolves once every pipeline has finished loading (checked whenever a worker reports). */
  whenLoaded(): Promise<void> {
    if (this.started && this.loaded()) return Promise.resolve();
    return new Promise((resolve) => this.loadWaiters.push(resolve));
  }

  currentPlan(): Plan {
    return this.plan;
  }

  /**
   * Goes to a new plan: starts what is new beside the old, switches routing in one step (so on
   * a frame boundary: nothing runs between two lines of this function), sends live params to
   * kept nodes, then stops what is gone.
   */
  async apply(next: Plan, d: PlanDiff): Promise<void> {
    if (this.stopped) return;
    const t0 = performance.now();
    const retiring: NodeRuntime[] = [];
    for (const id of d.stop) {
      const rt = this.nodes.get(id);
      if (rt) retiring.push(rt);
      this.nodes.delete(id);
    }
    const byId = new Map(next.nodes.map((n) => [n.id, n]));
    for (const id of d.keep) {
      const rt = this.nodes.get(id);
      const node = byId.get(id);
      if (!rt || !node) continue;
      // Kept nodes get the new plan entry (its edges may have changed) with their running params.
      rt.node = { ...node, params: rt.node.params };
      const live = d.update[id];
      if (live) rt.update(live);
    }
    this.plan = next;
    this.applyRouting(next);
    this.addNodes(d.start.map((id) => byId.get(id)).filter((n): n is PlanNode => !!n));
    // What the switch cost the frame path (this thread does nothing else meanwhile).
    if (d.start.length || d.stop.length)
      this.log(
        `edit: switched in ${(performance.now() - t0).toFixed(1)} ms` +
          (d.start.length ? `; started ${d.start.join(', ')}` : '') +
          (d.stop.length ? `; stopping ${d.stop.join(', ')}` : ''),
      );
    this.kick();
    await Promise.all(retiring.map((rt) => rt.stop()));
    this.kick();
  }

  /** Live params for one node (validated by the caller). */
  updateNode(id: string, params: Record<string, unknown>): boolean {
    const rt = this.nodes.get(id);
    if (!rt) return false;
    rt.update(params);
    return true;
  }

  /** Data-channel prompts for a pipeline (they win over a timeline until its next entry). */
  setPrompts(id: string, control: PromptControl): void {
    this.setChannel(id, 'prompts', control);
  }

  /** Data-channel VACE settings for a pipeline, merged over its VACE node's. */
  setVace(id: string, vace: Partial<VaceControl> & { enabled?: boolean }): void {
    const old = this.channelValue(id, 'vace')?.value as Record<string, unknown> | undefined;
    this.setChannel(id, 'vace', { ...old, ...vace });
  }

  private setChannel(id: string, key: string, value: unknown): void {
    let values = this.channel.get(id);
    if (!values) this.channel.set(id, (values = new Map()));
    values.set(key, { value, changedAt: this.clock.now() });
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  nodeRuntime(id: string): NodeRuntime | undefined {
    return this.nodes.get(id);
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  /** Terminates every pipeline worker as a crash would (the PATCHBAY_TEST_HOOKS hook); returns how many. */
  killWorkers(why: string): number {
    let n = 0;
    for (const rt of this.nodes.values()) {
      const host = rt.worker;
      if (!host?.alive) continue;
      this.log(`[${rt.id}] terminating its worker (${why})`);
      host.terminate();
      n++;
    }
    return n;
  }

  /** The worker of a pipeline node (tests kill it to check recovery). */
  workerOf(id: string): WorkerHost | null {
    // This engine's host starts every worker (./host.ts), so each is a WorkerHost.
    return (this.nodes.get(id)?.worker as WorkerHost | null | undefined) ?? null;
  }

  /** Play/pause/seek of a node that has a transport (a Prompt-timeline). */
  timeline(id: string): NonNullable<NodeRuntime['transport']> | null {
    return this.nodes.get(id)?.transport ?? null;
  }

  pushInputFrame(index: number, frame: VideoFrame): void {
    const id = this.inputNode.get(index);
    const rt = id ? this.nodes.get(id) : undefined;
    rt?.pushFrame?.(frame);
  }

  onOutputFrame(cb: (index: number, frame: VideoFrame) => void): () => void {
    return this.ports.onOutput(cb);
  }

  /** Every frame reaching an Output or Record node (recorders, NDI/Spout senders). */
  onSinkFrame(cb: (node: string, frame: VideoFrame) => void): () => void {
    return this.ports.onSink(cb);
  }

  latestFrame(outputId?: string): VideoFrame | null {
    for (const rt of this.nodes.values()) {
      if (rt.latestFrame && (outputId === undefined || rt.id === outputId)) return rt.latestFrame();
    }
    return null;
  }

  /** Output track indices by Output node id. */
  tracks(): Map<string, number> {
    return this.outputTrack;
  }

  stats(): Record<string, NodeStats> {
    const now = this.clock.now();
    const out: Record<string, NodeStats> = {};
    for (const [id, rt] of this.nodes) out[id] = rt.stats(now);
    return out;
  }

  /** Stops every node and frees the workers and the pool; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      liveEngines.delete(this);
      this.cancelStats?.();
      const all = [...this.nodes.values()];
      this.nodes.clear();
      await Promise.all(all.map((rt) => rt.stop()));
      // Ports the session passed in outlive this engine; only our own are dropped.
      if (!this.options.ports) this.ports.clear();
      metrics.removePool(this.pool);
      this.pool.clear();
    })();
    return this.stopping;
  }

  // --- EngineContext -------------------------------------------------------------------------

  emit(from: string, h: FrameHandle): void {
    const routes = this.routes.get(from);
    if (routes && !this.stopped) {
      for (const r of routes) this.nodes.get(r.node)?.receive(r.port, h);
    }
    this.pool.release(h);
  }

  publish(id: string, frame: VideoFrame): boolean {
    const index = this.outputTrack.get(id);
    if (index !== undefined) this.ports.output(id, index, frame);
    return this.ports.sink(id, frame) || index !== undefined;
  }

  controlInput(from: PortAddress): ControlValue | null {
    return this.nodes.get(from.node)?.control?.(from.port) ?? null;
  }

  channelValue(id: string, key: string): ControlValue | undefined {
    return this.channel.get(id)?.get(key);
  }

  timelineEvent(e: TimelineEvent): void {
    this.options.emit('timeline', e);
  }

  frameProduced(): void {
    metrics.frameProduced();
  }

  nodeError(node: string, message: string, recoverable: boolean): void {
    this.options.emit('node.error', { node, message, recoverable });
    // A crash that recovers in 100 ms would fall between two once-a-second stats: send them now
    // (rate-limited, so a model failing every frame does not flood the socket).
    const now = this.clock.now();
    if (!this.stopped && now - this.lastErrorStats >= ERROR_STATS_MIN_MS) {
      this.lastErrorStats = now;
      this.options.emit('stats', { nodes: this.stats(), t: now });
    }
  }

  log(line: string): void {
    this.options.log(line);
  }

  /**
   * Fixed mode only: when no frame is queued or in flight anywhere, moves the clock to its next
   * timer (the next source frame, a stats tick) and fires it. The whole graph runs lock-step, so
   * every run produces the same frames.
   */
  kick(): void {
    if (this.loadWaiters.length && this.started && this.loaded())
      for (const w of this.loadWaiters.splice(0)) w();
    if (!this.fixed || this.stepScheduled || this.stopped || !this.started) return;
    this.stepScheduled = true;
    // Sources that make frames on the clock (a client's camera track does not).
    let hasSource = false;
    for (const rt of this.nodes.values()) if (rt.clocked?.()) hasSource = true;
    // Without a source only ticks are due: step slowly rather than spin a core.
    const step = (): void => {
      this.stepScheduled = false;
      if (this.stopped) return;
      for (const rt of this.nodes.values()) if (rt.busy()) return;
      if ((this.clock as ManualClock).runNext()) this.kick();
    };
    if (hasSource) setImmediate(step);
    else setTimeout(step, 20);
  }

  // --- internals -----------------------------------------------------------------------------

  private addNodes(nodes: readonly PlanNode[]): void {
    const created = nodes.map((node) => {
      const rt = this.createRuntime(node);
      this.nodes.set(node.id, rt);
      return rt;
    });
    // Downstream first, so a source's first frame finds every consumer in place.
    for (const rt of created.reverse()) rt.start();
  }

  /** The registry's runtime for the node's type; a placeholder that says why when there is none. */
  private createRuntime(node: PlanNode): NodeRuntime {
    if (node.disabled) return new PlaceholderRuntime(node, this, 'disabled', node.disabled.reason);
    const factory = this.registry.runtime(node.type);
    if (!factory)
      return new PlaceholderRuntime(
        node,
        this,
        'error',
        `"${node.type}" nodes are not run by the engine on this host yet; the rest of the patch runs`,
      );
    try {
      return factory(node, this);
    } catch (error) {
      // A node type's bug (a package's runtime) disables that node, never the session.
      const message = `could not start: ${(error as Error)?.message ?? String(error)}`;
      this.log(`[${node.id}] ${message}`);
      return new PlaceholderRuntime(node, this, 'error', message);
    }
  }

  private applyRouting(plan: Plan): void {
    const routes = new Map<string, Route[]>();
    for (const e of plan.streamEdges) {
      const list = routes.get(e.from.node);
      if (list) list.push(e.to);
      else routes.set(e.from.node, [e.to]);
    }
    this.routes = routes;
    this.outputTrack = new Map(plan.outputTracks.map((t) => [t.node, t.index]));
    this.inputNode = new Map(plan.inputTracks.map((t) => [t.index, t.node]));
  }

  private scheduleStats(): void {
    this.cancelStats = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.options.emit('stats', { nodes: this.stats(), t: this.clock.now() });
      this.scheduleStats();
    }, STATS_MS);
  }
}
