import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FrameHash, PixelStats, PlayerSnapshot } from '../protocol';
import { startRuntime, type RuntimeHandle, type RuntimeOptions } from './runtime';
import { finishRecording, type Recording } from './webm';

/**
 * The plain API (playwright-core or @playwright/test alike): `openPlayer(browserOrContext,
 * {patch})` starts a runtime when no URL is given, opens `/play?patch=…` and returns helpers
 * that read the page's `window.patchbay`.
 */

export interface OpenPlayerOptions {
  /** A patch name (an example such as "effects", or a saved patch), a URL, or a .patch file path. */
  patch: string;
  /** A running runtime (http://127.0.0.1:8000); without it one is started and stopped with the player. */
  url?: string;
  /** `fixed`: the runtime clock advances one frame per produced frame (deterministic frames). */
  clock?: 'real' | 'fixed';
  /** How long to wait for the player to run (default 60 s). */
  timeoutMs?: number;
  /** Options for the runtime started when no `url` is given. */
  runtime?: RuntimeOptions;
}

/** The player page failed (patch missing, compile errors, camera refused); `snapshot` says the rest. */
export class PlayerError extends Error {
  constructor(
    message: string,
    readonly snapshot: PlayerSnapshot | null,
  ) {
    super(message);
    this.name = 'PlayerError';
  }
}

export interface WaitOptions {
  /** Output node id (the first Output when omitted). */
  output?: string;
  timeoutMs?: number;
}

/** What `openPlayer` gives a test. */
export interface PatchbayPlayer {
  page: Page;
  /** The runtime's URL. */
  url: string;
  /** The player page's URL. */
  playerUrl: string;
  /** The player's state: status, per-node stats, errors, frames received/produced, timeline time. */
  stats(): Promise<PlayerSnapshot>;
  /** Nodes a missing capability keeps from running, with the reason (empty when all can run). */
  unavailable(): Promise<{ node: string; reason: string }[]>;
  /** Waits until the browser has shown `n` frames of an Output; throws with the player's state on timeout. */
  waitForFrames(n: number, opts?: WaitOptions): Promise<PlayerSnapshot>;
  /** Waits until the runtime produced a frame at or after `seconds` on its clock. */
  waitForTime(seconds: number, opts?: WaitOptions): Promise<PlayerSnapshot>;
  /** Sets one param of one node live; resolves when the runtime applied it (rejects with its reason). */
  setParam(node: string, key: string, value: unknown): Promise<void>;
  /** Seeks the Prompt-timeline(s) to `seconds`; returns the timeline nodes sought. */
  seek(seconds: number, node?: string): Promise<string[]>;
  /** Pixel statistics of the frame an Output shows now (waits for the first frame). */
  sampleOutput(output?: string): Promise<PixelStats>;
  /** Hashes of the frames the runtime produced for an Output (t on the runtime clock, ms). */
  frameHashes(output?: string): Promise<FrameHash[]>;
  /** Records an Output for `seconds` to a WebM file (VP8, with its duration in the header). */
  record(seconds: number, opts?: { output?: string; path?: string }): Promise<Recording>;
  /** Closes the page (and the runtime when this player started it). */
  close(): Promise<void>;
}

type Target = Browser | BrowserContext;

function isBrowser(t: Target): t is Browser {
  return typeof (t as Browser).newContext === 'function';
}

/** A .patch file on disk is uploaded under its base name; names and URLs pass through. */
async function resolvePatch(patch: string, url: string): Promise<string> {
  const looksLikeFile = /\.patch$/i.test(patch) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(patch);
  if (!looksLikeFile || !existsSync(patch) || !statSync(patch).isFile()) return patch;
  const name = basename(patch)
    .replace(/\.patch$/i, '')
    .replace(/[^A-Za-z0-9 _.-]/g, '_');
  const res = await fetch(`${url}/api/v1/patches/${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: readFileSync(patch, 'utf8'),
  });
  if (!res.ok) throw new PlayerError(`the runtime refused ${patch}: ${res.status} ${await res.text()}`, null);
  return name;
}

const snapshotOf = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { patchbay?: { snapshot(): unknown } }).patchbay?.snapshot() ?? null,
  ) as Promise<PlayerSnapshot | null>;

function describe(s: PlayerSnapshot | null): string {
  if (!s) return 'the player did not start (no window.patchbay)';
  const nodes = Object.entries(s.nodes)
    .map(
      ([id, n]) =>
        `${id}: ${n.status} in ${n.frames_in} out ${n.frames_out}${n.message ? ` (${n.message})` : ''}`,
    )
    .join('; ');
  return (
    `status ${s.status}${s.error ? ` (${s.error})` : ''}, session ${s.session}, received ${JSON.stringify(s.framesReceived)}, ` +
    `produced ${JSON.stringify(s.framesProduced)}, errors ${JSON.stringify(s.errors.slice(-3))}, nodes: ${nodes || 'none yet'}` +
    (s.unavailable.length
      ? `, unavailable: ${s.unavailable.map((u) => `${u.node}: ${u.reason}`).join('; ')}`
      : '')
  );
}

/**
 * Opens the player for a patch and waits until it runs.
 *
 * @example
 * const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
 * const player = await openPlayer(browser, { patch: 'effects' });
 * await player.waitForFrames(30);
 * console.log(await player.sampleOutput());
 * await player.close();
 */
export async function openPlayer(target: Target, opts: OpenPlayerOptions): Promise<PatchbayPlayer> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const clock = opts.clock ?? 'real';
  let runtime: RuntimeHandle | null = null;
  let ownContext: BrowserContext | null = null;
  let page: Page | null = null;
  const cleanup = async () => {
    await page?.close().catch(() => undefined);
    await ownContext?.close().catch(() => undefined);
    await runtime?.stop();
  };
  try {
    if (!opts.url) runtime = await startRuntime(opts.runtime ?? {});
    const url = (opts.url ?? runtime!.url).replace(/\/+$/, '');
    const patch = await resolvePatch(opts.patch, url);
    const context = isBrowser(target) ? (ownContext = await target.newContext()) : target;
    page = await context.newPage();
    const playerUrl = `${url}/play?patch=${encodeURIComponent(patch)}&clock=${clock}`;
    const res = await page.goto(playerUrl);
    if (!res || !res.ok())
      throw new PlayerError(`${playerUrl} answered ${res?.status()}: ${await res?.text()}`, null);
    const p = page;
    await p
      .waitForFunction(() => ['running', 'error'].includes(document.body.dataset.status ?? ''), null, {
        timeout: timeoutMs,
      })
      .catch(async () => {
        throw new PlayerError(
          `the player did not start within ${timeoutMs} ms: ${describe(await snapshotOf(p))}`,
          await snapshotOf(p),
        );
      });
    const first = await snapshotOf(p);
    if (first?.status === 'error') throw new PlayerError(`patch "${opts.patch}": ${first.error}`, first);
    return makePlayer(p, url, playerUrl, cleanup);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function makePlayer(
  page: Page,
  url: string,
  playerUrl: string,
  cleanup: () => Promise<void>,
): PatchbayPlayer {
  const snapshot = async (): Promise<PlayerSnapshot> => {
    const s = await snapshotOf(page);
    if (!s) throw new PlayerError('the player page has no window.patchbay', null);
    return s;
  };
  const waitUntil = async (
    what: string,
    ok: (s: PlayerSnapshot) => boolean,
    timeoutMs: number,
  ): Promise<PlayerSnapshot> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const s = await snapshot();
      if (ok(s)) return s;
      if (s.status === 'error') throw new PlayerError(`${what}: ${describe(s)}`, s);
      if (Date.now() > end)
        throw new PlayerError(`${what}: timed out after ${timeoutMs} ms; ${describe(s)}`, s);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const outputOf = (s: PlayerSnapshot, output?: string) => {
    const id = output ?? s.outputs[0];
    if (!id || !s.outputs.includes(id))
      throw new PlayerError(
        `no Output "${output ?? ''}" in this patch (outputs: ${s.outputs.join(', ') || 'none'})`,
        s,
      );
    return id;
  };
  const call = <T>(fn: string, args: unknown[]): Promise<T> =>
    page.evaluate(
      async ({ fn, args }) => {
        const pb = (window as unknown as { patchbay: Record<string, (...a: unknown[]) => unknown> }).patchbay;
        return (await pb[fn]!(...args)) as never;
      },
      { fn, args },
    ) as Promise<T>;

  const player: PatchbayPlayer = {
    page,
    url,
    playerUrl,
    stats: snapshot,
    async unavailable() {
      return (await snapshot()).unavailable;
    },
    async waitForFrames(n, opts = {}) {
      const id = outputOf(await snapshot(), opts.output);
      return waitUntil(
        `waiting for ${n} frames of "${id}"`,
        (s) => (s.framesReceived[id] ?? 0) >= n,
        opts.timeoutMs ?? 30_000,
      );
    },
    async waitForTime(seconds, opts = {}) {
      return waitUntil(
        `waiting for the runtime clock to reach ${seconds} s`,
        (s) => s.clockMs !== null && s.clockMs >= seconds * 1000,
        opts.timeoutMs ?? 60_000,
      );
    },
    setParam: (node, key, value) => call<void>('setParam', [node, key, value]),
    seek: (seconds, node) => call<string[]>('seek', node === undefined ? [seconds] : [seconds, node]),
    async sampleOutput(output) {
      const id = outputOf(await snapshot(), output);
      await player.waitForFrames(1, { output: id });
      const stats = await call<PixelStats | null>('sampleOutput', [id]);
      if (!stats) throw new PlayerError(`output "${id}" shows no frame`, await snapshot());
      return stats;
    },
    async frameHashes(output) {
      const id = outputOf(await snapshot(), output);
      return call<FrameHash[]>('frameHashes', [id]);
    },
    async record(seconds, opts = {}) {
      const id = outputOf(await snapshot(), opts.output);
      await player.waitForFrames(1, { output: id });
      const b64 = await call<string>('record', [seconds, id]);
      const path = opts.path ?? join(tmpdir(), `patchbay-${id}-${Date.now()}.webm`);
      return finishRecording(new Uint8Array(Buffer.from(b64, 'base64')), path);
    },
    close: cleanup,
  };
  return player;
}
