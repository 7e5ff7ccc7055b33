import { Worker } from 'node:worker_threads';
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
 * One worker is kept booted ahead of need (tsx and the module graph take about a second to load
 * on a small machine), so inserting a pipeline or restarting a crashed one starts in
 * milliseconds. The spare is unref'd: it never keeps the process alive.
 */
let spare: Worker | null = null;

function bootSpare(): void {
  const w = new Worker(ENTRY, { name: 'pipeline:spare' });
  w.unref();
  w.on('error', () => undefined);
  w.once('exit', () => {
    if (spare === w) spare = null;
  });
  spare = w;
}

function takeWorker(): Worker {
  const w = spare ?? new Worker(ENTRY, { name: 'pipeline' });
  spare = null;
  w.removeAllListeners('error');
  w.removeAllListeners('exit');
  w.ref();
  bootSpare();
  return w;
}

/** Whether a booted spare worker is waiting (0 or 1), for metrics. */
export function spareWorkers(): number {
  return spare ? 1 : 0;
}

/** Ends the spare worker (graceful shutdown; a later pipeline boots a new one). */
export async function shutdownSpareWorkers(): Promise<void> {
  const w = spare;
  spare = null;
  if (w) await w.terminate();
}

type FrameMessage = Omit<Extract<MainToWorker, { type: 'frame' }>, 'buffers'>;

/**
 * The main thread's side of one pipeline worker: spawns it, posts frames (sending each slot's
 * shared buffer the first time the worker needs it), and reports its messages and its end.
 */
export class WorkerHost {
  readonly worker: Worker;
  private readonly known = new Map<number, SharedArrayBuffer>();
  private disposing = false;
  /** The processor finished loading (or failed to): from then on it has something to dispose. */
  private loaded = false;
  private exited = false;
  private lastError: Error | null = null;
  private readonly exitPromise: Promise<void>;

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
      if (msg.type === 'disposed') void this.worker.terminate();
      else if (!this.exited) events.message(msg);
    });
    this.worker.on('error', (error) => {
      this.lastError = error;
    });
    this.exitPromise = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        metrics.workerExited();
        events.exit({ code, error: this.lastError, expected: this.disposing });
        resolve();
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
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
    this.post({ type: 'dispose' });
    // A real timer on purpose: this bounds a thread's shutdown in wall time, whatever clock the
    // session runs on (a fixed clock may not advance while it waits).
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise.then(() => 'exited' as const), timeout]);
    clearTimeout(timer);
    if (result === 'timeout') await this.worker.terminate();
    await this.exitPromise;
  }

  private post(msg: MainToWorker): void {
    if (this.exited) return;
    try {
      this.worker.postMessage(msg);
    } catch {
      // The thread is ending; its exit event reports it.
    }
  }
}
