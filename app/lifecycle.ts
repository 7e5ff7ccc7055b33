/**
 * The app's life cycle as plain logic: handing files to the editor when it is ready (first
 * launch, open-with, a second launch), the quit sequence (flush the autosave, close the output,
 * stop the runtime, save settings, then really quit), and when to show the OS camera prompt.
 */
import { isAbsolute } from 'node:path';
import { parseAppArgs } from './args';
import type { SupervisorClock } from './runtime-supervisor';

/**
 * Queues files until the editor has subscribed to them, then delivers each once, in order.
 * A reload of the editor makes it "not ready" again until it subscribes anew.
 */
export class FileHandOver {
  private ready = false;
  private queue: string[] = [];

  constructor(private readonly deliver: (path: string) => void) {}

  /** Adds files to open; delivered now if the editor is ready. */
  open(paths: readonly string[]): void {
    for (const path of paths) if (!this.queue.includes(path)) this.queue.push(path);
    if (this.ready) this.flush();
  }

  /** The editor subscribed (true) or went away / reloaded (false). */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.flush();
  }

  /** Files waiting for the editor. */
  pending(): readonly string[] {
    return [...this.queue];
  }

  private flush(): void {
    const paths = this.queue;
    this.queue = [];
    for (const path of paths) this.deliver(path);
  }
}

/** What the first instance passes to `requestSingleInstanceLock` for a second one to read. */
export interface SingleInstanceData {
  patchFiles: string[];
}

/**
 * The files a second launch asked for. Electron hands over the second process's argv and cwd,
 * plus the `additionalData` it passed to `requestSingleInstanceLock`; the latter was parsed by
 * our own code, so it is preferred when it is well-formed, and argv is the fallback (a second
 * instance of an older version, or data that does not validate).
 */
export function filesFromSecondInstance(
  argv: readonly string[],
  cwd: string,
  additionalData: unknown,
  leadingEntries: number,
): string[] {
  if (isSingleInstanceData(additionalData)) return [...additionalData.patchFiles];
  return parseAppArgs(argv, cwd, leadingEntries).patchFiles;
}

function isSingleInstanceData(value: unknown): value is SingleInstanceData {
  if (typeof value !== 'object' || value === null) return false;
  const files = (value as { patchFiles?: unknown }).patchFiles;
  return (
    Array.isArray(files) &&
    files.length <= 100 &&
    files.every((f) => typeof f === 'string' && isAbsolute(f) && f.toLowerCase().endsWith('.patch'))
  );
}

/** What the quit sequence acts on. */
export interface QuitDeps {
  /** Sends `app.flush` to the editor; false when there is no editor to ask. */
  requestFlush(): boolean;
  closeOutputWindow(): void;
  stopRuntime(): Promise<{ graceful: boolean }>;
  saveSettings(): Promise<void>;
  /** Quits for real (app.quit()); the coordinator lets that second before-quit through. */
  quit(): void;
  log(message: string): void;
  clock: SupervisorClock;
}

/**
 * Runs the quit sequence once. Wire `beforeQuit()` to Electron's `before-quit`: it returns true
 * when the event must be prevented (the sequence is starting or running) and false once the
 * sequence has finished and the real quit may go ahead.
 */
export class QuitCoordinator {
  private phase: 'running' | 'quitting' | 'done' = 'running';
  private flushed: (() => void) | null = null;
  private readonly flushTimeoutMs: number;

  constructor(
    private readonly deps: QuitDeps,
    options: { flushTimeoutMs?: number } = {},
  ) {
    this.flushTimeoutMs = options.flushTimeoutMs ?? 3_000;
  }

  /** Handles `before-quit`; returns whether to call `event.preventDefault()`. */
  beforeQuit(): boolean {
    if (this.phase === 'done') return false;
    if (this.phase === 'running') {
      this.phase = 'quitting';
      void this.run();
    }
    return true;
  }

  /** The editor called `flushDone()`. */
  flushDone(): void {
    this.flushed?.();
  }

  /** Whether the quit sequence has started. */
  get quitting(): boolean {
    return this.phase !== 'running';
  }

  private async run(): Promise<void> {
    try {
      if (this.deps.requestFlush()) {
        const done = await new Promise<boolean>((resolve) => {
          const timer = this.deps.clock.setTimeout(() => resolve(false), this.flushTimeoutMs);
          this.flushed = () => {
            this.deps.clock.clearTimeout(timer);
            resolve(true);
          };
        });
        this.flushed = null;
        this.deps.log(
          done
            ? 'editor flushed its autosave'
            : `editor did not confirm its autosave within ${this.flushTimeoutMs} ms`,
        );
      }
      this.deps.closeOutputWindow();
      const { graceful } = await this.deps.stopRuntime();
      this.deps.log(graceful ? 'runtime stopped' : 'runtime had to be killed');
      await this.deps
        .saveSettings()
        .catch((error: Error) => this.deps.log(`settings not saved: ${error.message}`));
    } catch (error) {
      this.deps.log(`quit sequence: ${(error as Error).message}`);
    } finally {
      this.phase = 'done';
      this.deps.quit();
    }
  }
}

/** `systemPreferences.getMediaAccessStatus` results. */
export type MediaAccessStatus = 'not-determined' | 'granted' | 'denied' | 'restricted' | 'unknown';

/**
 * Whether to show the OS camera prompt now: only on macOS (the only OS with a prompt API; Windows
 * and Linux have no per-app prompt, and the permission handler grants the editor), only while the
 * OS has not decided, and only once per installation (a user who dismissed it is not nagged).
 */
export function shouldAskCameraAccess(
  platform: string,
  status: MediaAccessStatus,
  alreadyAsked: boolean,
): boolean {
  return platform === 'darwin' && status === 'not-determined' && !alreadyAsked;
}
