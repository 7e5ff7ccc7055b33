import { Worker } from 'node:worker_threads';
import type { PipelineWorker } from '../../nodes';
import type { FrameHandle, FramePool } from './frame-pool';
import { metrics } from './metrics';
import type { MainToWorker, WorkerInit, WorkerToMain } from './protocol';

/** Where pipeline workers start (registers tsx, then loads worker.ts). */
const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export interface WorkerHostEvents {
  message(msg: WorkerToMain): void;
  /** The thread ended. `expected` is true only after dispose(); otherwise it crashed or was killed. */
  exit(info: { code: number; error: Error | null; expected: boolean }): void;
}

/**
 * Workers are kept booted ahead of need (tsx and the module graph take about a second to load
 * on a small machine), so inserting a pipeline, restarting a crashed one or starting the next
 * session starts in milliseconds. A worker whose processor was disposed cleanly goes back to
 * the spares instead of ending (at most MAX_SPARES are kept; the rest end), so sessions that
 * come and go (a browser reconnecting, the leak test's 100 cycles) never wait for a cold boot.
 * Spares are unref'd: they never keep the process alive.
 */
const MAX_SPARES = 2;
const spares: Worker[] = [];

function keepSpare(w: Worker): void {
  w.unref();
  w.removeAllListeners('message');
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.on('error', () => undefined);
  w.once('exit', () => {
    const i = spares.indexOf(w);
    if (i >= 0) spares.splice(i, 1);
  });
  spares.push(w);
}

function bootSpare(): void {
  keepSpare(new Worker(ENTRY, { name: 'pipeline:spare' }));
}

/**
 * A cold boot costs about a second of CPU (tsx and the module graph). Booted right when a live
 * edit takes the last spare, it competed with the frame path on a 2-core machine exactly while
 * the edit switched; so spares are booted ahead (`prewarmWorker` when an engine starts) and a
 * missing one is booted this long after the edit that took it, one at a time.
 */
const REFILL_DELAY_MS = 1500;
let refillTimer: NodeJS.Timeout | null = null;
let refillTarget = 0;

function refillLater(target: number): void {
  refillTarget = Math.max(refillTarget, target);
  if (refillTimer) return;
  refillTimer = setTimeout(() => {
    refillTimer = null;
    if (spares.length < refillTarget) bootSpare();
    if (spares.length < refillTarget) refillLater(refillTarget);
    else refillTarget = 0;
  }, REFILL_DELAY_MS);
  refillTimer.unref();
}

function takeWorker(): Worker {
  const w = spares.shift() ?? new Worker(ENTRY, { name: 'pipeline' });
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.ref();
  // Refill only when none is left: workers of removed pipelines come back to the spares, so an
  // insert/remove or a pipeline swap never waits for (or pays for) a cold boot.
  if (spares.length === 0) refillLater(1);
  return w;
}

/**
 * Has spares ready for live edits: one boots now when none is waiting, and the spares are
 * topped up to MAX_SPARES a little later (one boot at a time, after the session's own start).
 * So the first Pipelines inserted into a running patch find warm workers: a cold one passes
 * frames through unprocessed for about a second and loads the machine while it boots.
 */
export function prewarmWorker(): void {
  if (spares.length === 0) bootSpare();
  refillLater(MAX_SPARES);
}

/** Hands a worker whose processor was disposed back to the spares, or ends it when enough wait. */
function recycleWorker(w: Worker): void {
  if (spares.length >= MAX_SPARES) void w.terminate();
  else keepSpare(w);
}

/** How many booted spare workers are waiting (0 to MAX_SPARES), for metrics. */
export function spareWorkers(): number {
  return spares.length;
}

/** Ends the spare workers (graceful shutdown; a later pipeline boots a new one). */
export async function shutdownSpareWorkers(): Promise<void> {
  if (refillTimer) clearTimeout(refillTimer);
  refillTimer = null;
  refillTarget = 0;
  const all = spares.splice(0);
  await Promise.all(all.map((w) => w.terminate()));
}

type FrameMessage = Omit<Extract<MainToWorker, { type: 'frame' }>, 'buffers'>;

/**
 * The main thread's side of one pipeline worker: spawns it, posts frames (sending each slot's
 * shared buffer the first time the worker needs it), and reports its messages and its end.
 */
export class WorkerHost implements PipelineWorker {
  readonly worker: Worker;
  private readonly known = new Map<number, SharedArrayBuffer>();
  private disposing = false;
  /** The processor finished loading (or failed to): from then on it has something to dispose. */
  private loaded = false;
  private exited = false;
  private lastError: Error | null = null;
  private readonly exitPromise: Promise<void>;
  private ended: (code: number) => void = () => undefined;
  private sealed = false;
  private terminating = false;

  constructor(
    init: WorkerInit,
    private readonly pool: FramePool,
    events: WorkerHostEvents,
  ) {
    this.worker = takeWorker();
    metrics.workerStarted();
    this.post({ type: 'init', init });
    this.worker.on('message', (msg: WorkerToMain) => {
      // The loader thread tsx registers keeps a worker alive after its port closes: once the
      // processor is disposed there is nothing left to wait for.
      if (msg.type === 'ready' || msg.type === 'load-error') this.loaded = true;
      if (msg.type === 'disposed') {
        if (msg.recycled && this.lastError === null && !this.exited && !this.terminating) this.recycle();
        else void this.worker.terminate();
      } else if (!this.exited) events.message(msg);
    });
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    this.exitPromise = new Promise((resolve) => {
      this.ended = (code) => {
        if (this.exited) return;
        this.exited = true;
        metrics.workerExited();
        events.exit({ code, error: this.lastError, expected: this.disposing });
        resolve();
      };
      this.worker.once('exit', (code) => this.ended(code));
    });
  }

  /** Ends this host's use of the thread: its processor is gone, the thread serves another node. */
  private recycle(): void {
    this.worker.removeAllListeners('message');
    recycleWorker(this.worker);
    this.ended(0);
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Ends the thread at once, as a crash would (crash tests, the SIGUSR2 test hook). */
  terminate(): void {
    void this.worker.terminate();
  }

  /** Posts a frame; the handles' slots are shared with the worker on first use. */
  postFrame(msg: FrameMessage): void {
    const buffers: [number, SharedArrayBuffer][] = [];
    const share = (h: FrameHandle | undefined): void => {
      if (!h) return;
      const sab = this.pool.buffer(h.slot);
      // A slot index can be re-created with a new buffer after the pool evicted it.
      if (this.known.get(h.slot) !== sab) {
        this.known.set(h.slot, sab);
        buffers.push([h.slot, sab]);
      }
    };
    share(msg.input);
    share(msg.output);
    share(msg.vaceInputFrame);
    share(msg.vaceInputMask);
    this.post({ ...msg, buffers });
  }

  /** Live params for the processor; they reach it before the next frame. */
  update(params: Record<string, unknown>): void {
    this.post({ type: 'update', params });
  }

  /**
   * Asks the worker to dispose its processor after the frame it is on, and waits for the thread
   * to end; a worker that does not end within `timeoutMs` is terminated.
   */
  async dispose(timeoutMs = 2000): Promise<void> {
    if (this.exited) return;
    this.disposing = true;
    if (!this.loaded) {
      // Still booting or loading: nothing to hand back cleanly, and waiting would hold up a stop.
      await this.worker.terminate();
      await this.exitPromise;
      return;
    }
    this.post({ type: 'dispose', recycle: true });
    // Nothing may follow the dispose: a recycled thread would hand it to the next node.
    this.sealed = true;
    // A real timer on purpose: this bounds a thread's shutdown in wall time, whatever clock the
    // session runs on (a fixed clock may not advance while it waits).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.terminating = true;
      await this.worker.terminate();
    }
    await this.exitPromise;
  }

  private post(msg: MainToWorker): void {
    if (this.exited || this.sealed) return;
    try {
      this.worker.postMessage(msg);
    } catch {
      // The thread is ending; its exit event reports it.
    }
  }
}
