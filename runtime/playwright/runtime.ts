import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (package) root: the fixture starts `bin/patchbay.mjs` from here. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface RuntimeOptions {
  /** Clock of every session (`serve --clock`); the player can also ask per page with `clock`. */
  clock?: 'real' | 'fixed';
  /** Data folder (patches/, assets/, recordings/); a fresh temporary one, removed on stop, by default. */
  dataDir?: string;
  /** A built editor folder to serve (`serve --editor-dir`); editor/dist by default. */
  editorDir?: string;
  /** More `patchbay serve` arguments. */
  args?: string[];
  /** How long to wait for the server to listen (default 60 s). */
  startTimeoutMs?: number;
}

/** A runtime the fixture started: its URL, and `stop()` to end it. */
export interface RuntimeHandle {
  url: string;
  dataDir: string;
  /** The server's recent log lines (stderr), for error messages. */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes a temporary data folder. */
  stop(): Promise<void>;
}

const LOG_LIMIT = 64 * 1024;

/**
 * Starts `node bin/patchbay.mjs serve --port 0` (the OS picks a free port) as a child process
 * and resolves once it listens. Rejects with the server's output when it exits or stays silent.
 *
 * @example
 * const runtime = await startRuntime({ clock: 'fixed' });
 * // … runtime.url …
 * await runtime.stop();
 */
export async function startRuntime(opts: RuntimeOptions = {}): Promise<RuntimeHandle> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'patchbay-playwright-'));
  const bin = join(PACKAGE_ROOT, 'bin/patchbay.mjs');
  if (!existsSync(bin)) throw new Error(`patchbay: ${bin} is missing; is the package installed completely?`);
  const args = [bin, 'serve', '--port', '0', '--data-dir', dataDir];
  if (opts.clock) args.push('--clock', opts.clock);
  if (opts.editorDir) args.push('--editor-dir', opts.editorDir);
  args.push(...(opts.args ?? []));
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let log = '';
  const append = (d: Buffer) => {
    log = (log + d.toString()).slice(-LOG_LIMIT);
  };
  child.stderr!.on('data', append);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const cleanup = () => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  let url: string;
  try {
    url = await new Promise<string>((resolveUrl, reject) => {
      let out = '';
      const timer = setTimeout(
        () =>
          reject(
            new Error(`patchbay serve did not listen within ${opts.startTimeoutMs ?? 60_000} ms:\n${log}`),
          ),
        opts.startTimeoutMs ?? 60_000,
      );
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        append(d);
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`patchbay serve exited (${signal ?? `code ${code}`}) before listening:\n${log}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`patchbay serve could not be started: ${error.message}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    cleanup();
    throw error;
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    dataDir,
    log: () => log,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        cleanup();
      })();
      return stopping;
    },
  };
}
