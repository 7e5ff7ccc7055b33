/**
 * Supervises the runtime child process for the desktop app: picks a port, starts the child,
 * waits for `GET /health`, watches it while it runs (exit or a hung health check), restarts it
 * with a jittered backoff, gives up with its log after repeated failed starts, and stops it
 * cleanly (SIGTERM, wait, then SIGKILL). Everything it touches — processes, ports, HTTP, time,
 * randomness — is injected, so tests drive a night of crashes in milliseconds.
 */

/** A running child process, as the supervisor sees it. */
export interface ChildHandle {
  readonly pid: number | undefined;
  /** Called for each line the child prints. */
  onOutput(listener: (line: string, stream: 'stdout' | 'stderr') => void): void;
  /** Called once when the child has exited (code, or the signal that ended it). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
}

/** Timers and time, injected so tests run on a simulated clock. */
export interface SupervisorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the supervisor needs from the outside world. */
export interface SupervisorDeps {
  /** Starts the runtime listening on 127.0.0.1:port. */
  launch(port: number): ChildHandle;
  /** A free loopback port (listen on 0, close, return it). */
  findFreePort(): Promise<number>;
  /** One health probe of `baseUrl`; resolves true when the runtime says it is healthy. Never rejects. */
  probeHealth(baseUrl: string): Promise<boolean>;
  clock: SupervisorClock;
  /** Uniform in [0, 1), for jitter. */
  random(): number;
}

/** Tunables; the defaults suit a live show. */
export interface SupervisorOptions {
  /** How long a start may take to answer /health before it counts as failed. */
  healthTimeoutMs: number;
  /** Delay between health probes while starting. */
  healthIntervalMs: number;
  /** Restart delays, in order; the last one repeats. */
  backoffMs: readonly number[];
  /** ± fraction of each delay, so a crash loop does not beat in lockstep with anything. */
  jitter: number;
  /** Running this long without a crash resets the backoff to its first step. */
  stableResetMs: number;
  /** Consecutive starts that never became healthy before giving up (the error window shows). */
  maxStartFailures: number;
  /** While running, probe /health this often… */
  livenessIntervalMs: number;
  /** …and restart after this many failed probes in a row (a hung runtime). */
  livenessFailures: number;
  /** How long SIGTERM gets before SIGKILL. */
  stopTimeoutMs: number;
  /** Lines of child output kept for the error window. */
  logLines: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  healthTimeoutMs: 30_000,
  healthIntervalMs: 250,
  backoffMs: [300, 1_000, 2_000, 5_000, 10_000],
  jitter: 0.2,
  stableResetMs: 60_000,
  maxStartFailures: 4,
  livenessIntervalMs: 5_000,
  livenessFailures: 3,
  stopTimeoutMs: 5_000,
  logLines: 400,
};

export type SupervisorState = 'idle' | 'starting' | 'running' | 'backoff' | 'failed' | 'stopping' | 'stopped';

/** What listeners see after every change. */
export interface SupervisorSnapshot {
  state: SupervisorState;
  /** `http://127.0.0.1:<port>` while a child is (being) started. */
  url: string | null;
  pid: number | undefined;
  /** Restarts since the supervisor was started. */
  restarts: number;
  /** Why the last child stopped or failed, in words. */
  lastError: string | null;
  /** When a restart is scheduled (clock time), while in backoff. */
  nextAttemptAt: number | null;
}

/** Thrown by `start()` when the runtime could not be started; carries the log for the window. */
export class RuntimeStartError extends Error {
  constructor(
    message: string,
    readonly log: readonly string[],
  ) {
    super(message);
    this.name = 'RuntimeStartError';
  }
}

type Listener = (snapshot: SupervisorSnapshot) => void;

/**
 * The runtime supervisor. `start()` resolves with the runtime's URL once it is healthy (or
 * rejects with a RuntimeStartError after `maxStartFailures` failed starts); afterwards crashes are
 * restarted on their own and reported through `onChange`. `stop()` ends it for good.
 *
 * @example
 * const sup = new RuntimeSupervisor(deps);
 * sup.onChange((s) => log(s.state));
 * const url = await sup.start(); // 'http://127.0.0.1:53211'
 * await sup.stop();
 */
export class RuntimeSupervisor {
  private readonly opts: SupervisorOptions;
  private readonly listeners = new Set<Listener>();
  private readonly readyListeners = new Set<(url: string) => void>();
  private readonly log: string[] = [];
  private state: SupervisorState = 'idle';
  private child: ChildHandle | null = null;
  private childExited: Promise<void> | null = null;
  private port: number | null = null;
  private url: string | null = null;
  private restarts = 0;
  private backoffStep = 0;
  private startFailures = 0;
  private lastError: string | null = null;
  private nextAttemptAt: number | null = null;
  private timers = new Set<unknown>();
  /** Bumped on every new attempt and on stop, so stale callbacks of an old child do nothing. */
  private generation = 0;
  private pendingStart: { resolve: (url: string) => void; reject: (error: Error) => void } | null = null;

  constructor(
    private readonly deps: SupervisorDeps,
    options: Partial<SupervisorOptions> = {},
  ) {
    this.opts = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
    if (this.opts.backoffMs.length === 0) throw new Error('RuntimeSupervisor: backoffMs must not be empty');
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called with the URL every time a (re)started runtime becomes healthy. */
  onReady(listener: (url: string) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** The current state. */
  snapshot(): SupervisorSnapshot {
    return {
      state: this.state,
      url: this.url,
      pid: this.child?.pid,
      restarts: this.restarts,
      lastError: this.lastError,
      nextAttemptAt: this.nextAttemptAt,
    };
  }

  /** The last lines the runtime printed (and the supervisor's own notes), oldest first. */
  logTail(): string[] {
    return [...this.log];
  }

  /**
   * Starts the runtime (again, after a failure) and resolves with its URL once healthy.
   * Calling it while a start is in progress returns the same promise's outcome.
   */
  start(): Promise<string> {
    if (this.state === 'running' && this.url) return Promise.resolve(this.url);
    if (this.state === 'stopping' || this.state === 'stopped') {
      return Promise.reject(new Error('the runtime supervisor was stopped; create a new one'));
    }
    const promise = new Promise<string>((resolve, reject) => {
      const previous = this.pendingStart;
      this.pendingStart = {
        resolve: (url) => {
          previous?.resolve(url);
          resolve(url);
        },
        reject: (error) => {
          previous?.reject(error);
          reject(error);
        },
      };
    });
    if (this.state === 'idle' || this.state === 'failed') {
      this.startFailures = 0;
      this.backoffStep = 0;
      void this.attempt();
    }
    return promise;
  }

  /**
   * Stops the runtime for good: SIGTERM, wait up to `stopTimeoutMs`, then SIGKILL.
   * Resolves `{ graceful }`: false when the child had to be killed.
   */
  async stop(): Promise<{ graceful: boolean }> {
    if (this.state === 'stopped') return { graceful: true };
    this.generation++;
    this.clearTimers();
    this.nextAttemptAt = null;
    this.setState('stopping');
    this.pendingStart?.reject(new Error('the runtime was stopped before it became ready'));
    this.pendingStart = null;
    const graceful = await this.terminateChild();
    this.setState('stopped');
    return { graceful };
  }

  private async attempt(): Promise<void> {
    const generation = ++this.generation;
    this.nextAttemptAt = null;
    this.setState('starting');
    let port: number;
    try {
      port = this.port ?? (await this.deps.findFreePort());
    } catch (error) {
      this.note(`no free port: ${(error as Error).message}`);
      if (generation === this.generation)
        this.failedAttempt(`no free local port: ${(error as Error).message}`, false);
      return;
    }
    if (generation !== this.generation) return;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.note(`starting the runtime on ${this.url}`);
    let child: ChildHandle;
    try {
      child = this.deps.launch(port);
    } catch (error) {
      this.failedAttempt(`the runtime could not be launched: ${(error as Error).message}`, false);
      return;
    }
    this.child = child;
    let exited = false;
    this.childExited = new Promise<void>((resolve) => {
      child.onExit((code, signal) => {
        exited = true;
        resolve();
        this.onChildExit(child, generation, code, signal);
      });
    });
    child.onOutput((line) => this.pushLog(line));
    this.setState('starting');

    const deadline = this.deps.clock.now() + this.opts.healthTimeoutMs;
    while (generation === this.generation && !exited) {
      if (await this.deps.probeHealth(this.url)) break;
      if (generation !== this.generation || exited) return;
      if (this.deps.clock.now() >= deadline) {
        this.note(`no healthy answer from /health within ${this.opts.healthTimeoutMs} ms`);
        // Bump first so the exit this kill causes is not counted as a second failure.
        const killing = ++this.generation;
        await this.terminateChild();
        if (killing === this.generation) {
          this.failedAttempt(
            `the runtime did not answer /health within ${this.opts.healthTimeoutMs / 1000} s`,
            false,
          );
        }
        return;
      }
      await this.sleep(this.opts.healthIntervalMs);
    }
    if (generation !== this.generation || exited) return;
    this.startFailures = 0;
    this.lastError = null;
    this.setState('running');
    this.note(`the runtime is healthy (pid ${child.pid ?? '?'})`);
    this.pendingStart?.resolve(this.url);
    this.pendingStart = null;
    for (const listener of this.readyListeners) listener(this.url);
    this.schedule(() => {
      if (generation === this.generation && this.state === 'running') this.backoffStep = 0;
    }, this.opts.stableResetMs);
    void this.watchLiveness(generation);
  }

  /** While running, a runtime that stops answering /health is as dead as one that exited. */
  private async watchLiveness(generation: number): Promise<void> {
    let misses = 0;
    while (true) {
      await this.sleep(this.opts.livenessIntervalMs);
      if (generation !== this.generation || this.state !== 'running' || !this.url) return;
      const healthy = await this.deps.probeHealth(this.url);
      if (generation !== this.generation || this.state !== 'running') return;
      misses = healthy ? 0 : misses + 1;
      if (misses >= this.opts.livenessFailures) {
        this.note(`/health failed ${misses} times in a row; restarting the runtime`);
        // Bump first so the exit this kill causes is not counted as a second crash.
        this.generation++;
        await this.terminateChild();
        this.lastError = `the runtime stopped answering /health`;
        this.scheduleRestart(true);
        return;
      }
    }
  }

  private onChildExit(
    child: ChildHandle,
    generation: number,
    code: number | null,
    signal: string | null,
  ): void {
    const how = signal ? `was ended by ${signal}` : `exited with code ${code}`;
    this.note(`the runtime (pid ${child.pid ?? '?'}) ${how}`);
    if (this.child === child) this.child = null;
    if (generation !== this.generation) return;
    if (this.state === 'running') {
      this.lastError = `the runtime ${how}`;
      this.generation++;
      this.scheduleRestart(true);
    } else if (this.state === 'starting') {
      // A child that dies before it is healthy may have lost a race for its port: pick a new one.
      this.port = null;
      this.generation++;
      this.failedAttempt(`the runtime ${how} before it became healthy`, true);
    }
  }

  private failedAttempt(reason: string, portMayBeTaken: boolean): void {
    if (portMayBeTaken) this.port = null;
    this.lastError = reason;
    this.startFailures++;
    if (this.startFailures >= this.opts.maxStartFailures) {
      this.setState('failed');
      const error = new RuntimeStartError(
        `${reason} (${this.startFailures} attempts in a row failed)`,
        this.logTail(),
      );
      this.pendingStart?.reject(error);
      this.pendingStart = null;
      return;
    }
    this.scheduleRestart(false);
  }

  private scheduleRestart(afterCrash: boolean): void {
    const steps = this.opts.backoffMs;
    const base = steps[Math.min(this.backoffStep, steps.length - 1)]!;
    this.backoffStep++;
    const spread = base * this.opts.jitter;
    const delay = Math.max(0, Math.round(base - spread + this.deps.random() * 2 * spread));
    this.nextAttemptAt = this.deps.clock.now() + delay;
    if (afterCrash) this.note(`restarting in ${delay} ms`);
    this.setState('backoff');
    const generation = this.generation;
    this.schedule(() => {
      if (generation !== this.generation || this.state !== 'backoff') return;
      this.restarts++;
      void this.attempt();
    }, delay);
  }

  /** SIGTERM, wait, SIGKILL; resolves true when the child left on SIGTERM (or was gone). */
  private async terminateChild(): Promise<boolean> {
    const child = this.child;
    const exited = this.childExited;
    if (!child || !exited) return true;
    let done = false;
    void exited.then(() => (done = true));
    child.kill('SIGTERM');
    await Promise.race([exited, this.sleep(this.opts.stopTimeoutMs)]);
    if (done) return true;
    this.note(`the runtime ignored SIGTERM for ${this.opts.stopTimeoutMs} ms; killing it`);
    child.kill('SIGKILL');
    await Promise.race([exited, this.sleep(this.opts.stopTimeoutMs)]);
    if (this.child === child) this.child = null;
    return false;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(resolve, ms));
  }

  private schedule(fn: () => void, ms: number): void {
    const handle = this.deps.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
  }

  private clearTimers(): void {
    for (const handle of this.timers) this.deps.clock.clearTimeout(handle);
    this.timers.clear();
  }

  private note(message: string): void {
    this.pushLog(`[patchbay-app] ${message}`);
  }

  private pushLog(line: string): void {
    this.log.push(line);
    if (this.log.length > this.opts.logLines) this.log.splice(0, this.log.length - this.opts.logLines);
  }

  private setState(state: SupervisorState): void {
    this.state = state;
    const snap = this.snapshot();
    for (const listener of this.listeners) listener(snap);
  }
}
