/**
 * The shared pieces of the e2e suites: the product as a child process (`patchbay serve --port
 * 0`), a second loopback origin for e2e/pages, Chromium with the standard flags, and a poll loop.
 * Each suite used to carry its own copy of these; they drifted (timeouts, log handling).
 */
import { CHROMIUM_ARGS } from '../../runtime/playwright/chromium';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

/** The repository root: the product is started as `bin/patchbay.mjs` from here. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
/** The Chromium the suites drive (see the preamble: installed from the distribution). */
export const CHROMIUM = '/usr/bin/chromium';
/** Whether Chromium is installed; browser suites skip without it. */
export const haveChromium = existsSync(CHROMIUM);

/** The flags every suite launches Chromium with (the fixture's own list). */
export { CHROMIUM_ARGS };

export interface ProductOptions {
  /** The port to listen on; 0 (the OS picks a free one) by default. A restart on the same port needs one. */
  port?: number;
  /** More `patchbay serve` arguments (after `--port … --data-dir …`). */
  args?: string[];
  /** Extra environment for the server (merged over this process's). */
  env?: NodeJS.ProcessEnv;
  /** The data folder; a fresh temporary one, removed by `stop()`, when left out. */
  dataDir?: string;
  /** How long to wait for "listening on URL" (default 30 s). */
  startTimeoutMs?: number;
}

/** A running product: its URL, its output so far, and `stop()`. */
export interface Product {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  /** Everything the server printed (stdout and stderr), plus what a suite `note()`d. */
  log(): string;
  /** Appends a line to `log()` (page errors, so that timeouts show them beside the server's). */
  note(line: string): void;
  /** SIGTERM, waits for the exit, removes a temporary data folder. */
  stop(): Promise<void>;
}

/**
 * Starts `node bin/patchbay.mjs serve --port 0 --data-dir …` (or `opts.port`) and resolves once it prints
 * "listening on URL"; rejects with its output when it exits first or stays silent.
 */
export async function startProduct(opts: ProductOptions = {}): Promise<Product> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pb-e2e-data-'));
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/patchbay.mjs'),
      'serve',
      '--port',
      String(opts.port ?? 0),
      '--data-dir',
      dataDir,
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  );
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`serve did not print its URL in ${timeoutMs} ms:\n${log}`)),
        timeoutMs,
      );
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        log += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`serve exited with ${signal ?? code}:\n${log}`));
      });
      proc.once('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`serve could not be started: ${e.message}`));
      });
    });
  } catch (error) {
    proc.kill('SIGKILL');
    await exited;
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | null = null;
  return {
    url,
    dataDir,
    proc,
    log: () => log,
    note: (line) => void (log += `\n${line}`),
    stop() {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webm': 'video/webm',
};

/**
 * Serves the files of `dir` from a second loopback port, so a page is "another local site"
 * (cross-origin to the product). Paths outside `dir` get 404.
 */
export async function servePages(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const base = normalize(dir) + sep;
  const server = createServer((req, res) => {
    const path = normalize(join(base, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(base) || !existsSync(path)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Launches Chromium (CHROMIUM_ARGS plus `extraArgs`) with a fresh temporary profile; closing the
 * context (`close()`) also removes the profile.
 */
export async function launchChromium(
  opts: { extraArgs?: string[]; viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'pb-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.extraArgs ?? [])],
    ...(opts.viewport ? { viewport: opts.viewport } : {}),
  });
  // Removed after close() resolves (the 'close' event fires while Chromium may still write its
  // cache); a profile left behind in /tmp must not fail a suite.
  const close = context.close.bind(context);
  context.close = async (options) => {
    await close(options);
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    } catch {
      // Left for the OS to clean up.
    }
  };
  return context;
}

/**
 * Polls `fn` until it returns something truthy (thrown errors count as "not yet") and returns
 * that; after `timeoutMs` throws naming `what`, the last error and the tail of `log()`.
 */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | null | false>,
  timeoutMs: number,
  opts: { pollMs?: number; log?: () => string } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    const v = await fn().catch((e: unknown) => ((last = e), null));
    if (v) return v;
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
  }
  const log = opts.log ? `\nserver log:\n${opts.log().slice(-3000)}` : '';
  throw new Error(`timed out waiting for ${what} (${String(last ?? '')})${log}`);
}
