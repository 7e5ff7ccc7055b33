/**
 * Recording and video files through the running product (`patchbay serve` as a child process):
 *  1. ~2 s of the test pattern recorded through /api/v1/recordings on a real-time session; the
 *     file plays in Chromium with the duration the server reports (±1 frame interval), which
 *     is the frame count at 30 fps, and Chromium decodes every frame.
 *  2. A Camera in `video_file` mode looping a WebM made by scripts/make-test-media.ts feeds a
 *     session on the fixed clock for 30 s of session time: the recording of its output holds
 *     900+ frames exactly one frame interval apart (no drift) and the process does not grow.
 * Nothing is downloaded: the media come from the product's own encoder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  haveChromium,
  launchChromium,
  ROOT as root,
  servePages,
  startProduct as start,
  waitUntil,
  type Product,
} from './support/harness';

const FRAME_S = 1 / 30;

let tmp = '';
const products: Product[] = [];
let pages: { origin: string; close(): Promise<void> } | null = null;
let pageOrigin = '';
/** The folder served to Chromium: a blank page and the recordings under test. */
let pagesDir = '';
let context: BrowserContext | null = null;

/** Starts the product on `dataDir` (kept: it is under tmp) and stops it in afterAll. */
async function startProduct(dataDir: string, extra: string[] = []): Promise<Product> {
  const p = await start({ dataDir, args: extra });
  products.push(p);
  return p;
}

async function api<T = Record<string, unknown>>(
  p: Product,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  if (!res.ok)
    throw new Error(`${method} ${path} → ${res.status}: ${text}\nserver log:\n${p.log().slice(-2000)}`);
  return JSON.parse(text) as T;
}

async function download(p: Product, path: string, type = 'video/webm'): Promise<Buffer> {
  const res = await fetch(`${p.url}${path}`);
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${await res.text()}`);
  expect(res.headers.get('content-type')).toBe(type);
  return Buffer.from(await res.arrayBuffer());
}

function patch(source: Record<string, unknown>): Record<string, unknown> {
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: {
      name: 'recording e2e',
      description: '',
      created_at: '2026-01-01T00:00:00.000Z',
      app_version: '0.1.0',
    },
    nodes: [
      { id: 'src', type: 'camera', version: 1, position: { x: 0, y: 0 }, params: source },
      { id: 'out', type: 'output', version: 1, position: { x: 300, y: 0 }, params: { name: 'main' } },
    ],
    edges: [{ id: 'e1', from: { node: 'src', port: 'video' }, to: { node: 'out', port: 'video' } }],
  };
}

interface Played {
  duration: number;
  totalVideoFrames: number;
  droppedVideoFrames: number;
  callbacks: number;
  width: number;
  height: number;
  error: string | null;
}

/** Opens a recording in a <video> served from loopback, plays it through, and reports. */
async function playInChromium(name: string, bytes: Buffer, rate: number): Promise<Played> {
  writeFileSync(join(pagesDir, name), bytes);
  const page = await context!.newPage();
  try {
    await page.goto(`${pageOrigin}/page.html`);
    return await page.evaluate(
      async ({ src, rate }) => {
        const v = document.createElement('video');
        v.muted = true;
        v.preload = 'auto';
        document.body.append(v);
        const wait = (ev: string) =>
          new Promise<void>((resolve, reject) => {
            v.addEventListener(ev, () => resolve(), { once: true });
            v.addEventListener(
              'error',
              () => reject(new Error(`video error ${v.error?.code}: ${v.error?.message}`)),
              { once: true },
            );
          });
        try {
          const meta = wait('loadedmetadata');
          v.src = src;
          await meta;
          const duration = v.duration;
          let callbacks = 0;
          const cb = () => {
            callbacks++;
            v.requestVideoFrameCallback(cb);
          };
          v.requestVideoFrameCallback(cb);
          v.playbackRate = rate;
          const ended = wait('ended');
          await v.play();
          await ended;
          const q = v.getVideoPlaybackQuality();
          return {
            duration,
            totalVideoFrames: q.totalVideoFrames,
            droppedVideoFrames: q.droppedVideoFrames,
            callbacks,
            width: v.videoWidth,
            height: v.videoHeight,
            error: null,
          };
        } catch (error) {
          return {
            duration: NaN,
            totalVideoFrames: 0,
            droppedVideoFrames: 0,
            callbacks: 0,
            width: 0,
            height: 0,
            error: String(error),
          };
        }
      },
      { src: `/${name}`, rate },
    );
  } finally {
    await page.close();
  }
}

describe.skipIf(!haveChromium)('recordings and video files (product + Chromium)', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'pb-e2e-rec-'));
    pagesDir = join(tmp, 'pages');
    mkdirSync(pagesDir);
    writeFileSync(join(pagesDir, 'page.html'), '<!doctype html><title>recording</title><body></body>');
    pages = await servePages(pagesDir);
    pageOrigin = pages.origin;
    context = await launchChromium({ extraArgs: ['--autoplay-policy=no-user-gesture-required'] });
  });

  afterAll(async () => {
    await context?.close();
    await Promise.all(products.map((p) => p.stop()));
    await pages?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('records ~2 s of the test pattern; Chromium plays it with the reported duration (±1 frame) and every frame', async () => {
    const p = await startProduct(join(tmp, 'data-real'));
    await api(p, 'POST', '/api/v1/session/start', {
      patch: patch({ source_mode: 'test_pattern', width: 320, height: 240, fps: 30 }),
    });
    const t0 = performance.now();
    await api(p, 'POST', '/api/v1/recordings/headless/start', {});
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const t2 = performance.now();
    const stop = await api<{ file: string; frames: number; duration_ms: number; width: number }>(
      p,
      'POST',
      '/api/v1/recordings/headless/stop',
    );
    const t3 = performance.now();
    console.log(`[e2e] recorded ${stop.file}: ${stop.frames} frames, ${stop.duration_ms.toFixed(1)} ms`);
    expect(stop.file).toMatch(/^recording-headless-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.webm$/);
    expect(stop.width).toBe(320);
    // A real-time 30 fps source for ~2 s.
    expect(stop.frames).toBeGreaterThanOrEqual(50);
    expect(stop.frames).toBeLessThanOrEqual(66);
    const bytes = await download(p, '/api/v1/recordings/headless');
    const played = await playInChromium('real.webm', bytes, 1);
    console.log(`[e2e] Chromium: ${JSON.stringify(played)}`);
    expect(played.error).toBeNull();
    expect(played).toMatchObject({ width: 320, height: 240 });
    expect(Math.abs(played.duration - stop.duration_ms / 1000)).toBeLessThanOrEqual(FRAME_S);
    // The file spans the time it was recording: at least from the start reply to the stop
    // request (less the first frame's wait), at most from the start request to the stop reply
    // (plus the last frame's interval). A loaded machine may skip a source frame now and then,
    // so the count can be a little under 30 per second while the span is not.
    console.log(`[e2e] recording window ${((t2 - t1) / 1000).toFixed(3)}–${((t3 - t0) / 1000).toFixed(3)} s`);
    expect(played.duration).toBeGreaterThanOrEqual((t2 - t1) / 1000 - FRAME_S);
    expect(played.duration).toBeLessThanOrEqual((t3 - t0) / 1000 + FRAME_S);
    expect(played.totalVideoFrames).toBe(stop.frames);

    // Byte ranges, as a <video> pointed at the server itself would ask.
    const part = await fetch(`${p.url}/api/v1/recordings/headless`, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-99/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(0, 100))).toBe(true);
    await api(p, 'POST', '/api/v1/session/stop');
  });

  it('an MP4 (H.264) recording, listed with its patch and downloaded, plays in Chromium with its duration and every frame', async () => {
    const p = await startProduct(join(tmp, 'data-mp4'));
    await api(p, 'POST', '/api/v1/session/start', {
      patch: patch({ source_mode: 'test_pattern', width: 320, height: 240, fps: 30 }),
    });
    await api(p, 'POST', '/api/v1/recordings/headless/start', { format: 'mp4', filename: 'take' });
    await new Promise((r) => setTimeout(r, 2000));
    const stop = await api<{ file: string; frames: number; duration_ms: number }>(
      p,
      'POST',
      '/api/v1/recordings/headless/stop',
    );
    console.log(`[e2e] recorded ${stop.file}: ${stop.frames} frames, ${stop.duration_ms.toFixed(1)} ms`);
    expect(stop.file).toMatch(/^take-.*\.mp4$/);
    const list = await api<{
      recordings: { name: string; url: string; codec: string; has_patch: boolean }[];
    }>(p, 'GET', '/api/v1/recordings');
    const row = list.recordings.find((r) => r.name === stop.file)!;
    expect(row).toMatchObject({ codec: 'h264', has_patch: true });
    const bytes = await download(p, row.url, 'video/mp4');
    const played = await playInChromium('take.mp4', bytes, 1);
    console.log(`[e2e] Chromium (mp4): ${JSON.stringify(played)}`);
    expect(played.error).toBeNull();
    expect(played).toMatchObject({ width: 320, height: 240 });
    expect(Math.abs(played.duration - stop.duration_ms / 1000)).toBeLessThanOrEqual(FRAME_S);
    expect(played.totalVideoFrames).toBe(stop.frames);
    await api(p, 'POST', '/api/v1/session/stop');
  });

  it('a looping WebM file feeds a fixed-clock session for 30 s: 900+ frames on schedule, no drift, no growth', async () => {
    const dataDir = join(tmp, 'data-fixed');
    mkdirSync(join(dataDir, 'assets'), { recursive: true });
    // The product's own script makes the media (3 s of the test pattern, 30 fps).
    const made = JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(root, 'scripts/make-test-media.ts'),
          '--out',
          join(dataDir, 'assets'),
          '--seconds',
          '3',
          '--size',
          '320x240',
          '--fps',
          '30',
        ],
        {
          cwd: root,
          encoding: 'utf8',
        },
      ),
    ) as { webm: string; frames: number };
    expect(made.frames).toBe(90);
    const p = await startProduct(dataDir, ['--clock', 'fixed']);
    await api(p, 'POST', '/api/v1/session/start', {
      patch: patch({
        source_mode: 'video_file',
        video_file: 'test-pattern.webm',
        width: 320,
        height: 240,
        fps: 30,
      }),
    });
    const outFrames = async () => {
      const m = await api<{
        sessions: Record<
          string,
          { nodes: Record<string, { frames_out: number; status: string; message?: string }> }
        >;
        engine: { heap_used: number; rss: number };
      }>(p, 'GET', '/api/v1/session/metrics');
      const node = m.sessions.headless?.nodes.out;
      return {
        frames: node?.frames_out ?? 0,
        heap: m.engine.heap_used,
        rss: m.engine.rss,
        src: m.sessions.headless?.nodes.src,
      };
    };
    await waitUntil('the file source to start', async () => (await outFrames()).frames > 0, 20_000).catch(
      async (e: unknown) => {
        throw new Error(
          `${(e as Error).message}: ${JSON.stringify((await outFrames()).src)}\n${p.log().slice(-2000)}`,
        );
      },
    );
    await api(p, 'POST', '/api/v1/recordings/headless/start', {});
    const start = await outFrames();
    const mid = await waitUntil(
      '10 s of session time',
      async () => {
        const s = await outFrames();
        return s.frames >= start.frames + 300 ? s : null;
      },
      120_000,
    );
    await waitUntil(
      '30 s of session time',
      async () => ((await outFrames()).frames >= start.frames + 905 ? true : null),
      240_000,
    );
    const stop = await api<{ frames: number; duration_ms: number }>(
      p,
      'POST',
      '/api/v1/recordings/headless/stop',
    );
    const end = await outFrames();
    console.log(
      `[e2e] fixed clock: recorded ${stop.frames} frames, ${stop.duration_ms.toFixed(3)} ms; rss ${(mid.rss / 2 ** 20).toFixed(0)} → ${(end.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mid.heap / 2 ** 20).toFixed(0)} → ${(end.heap / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(stop.frames).toBeGreaterThanOrEqual(900);
    // No drift: on the fixed clock every frame is exactly one interval after the previous, so the
    // file lasts N frame intervals to the millisecond (WebM stores whole milliseconds).
    expect(Math.abs(stop.duration_ms - (stop.frames * 1000) / 30)).toBeLessThanOrEqual(1);
    // No leak: between 10 s and 30 s of looping, memory stays flat (allowing GC noise).
    expect(end.rss - mid.rss).toBeLessThan(64 * 2 ** 20);
    const bytes = await download(p, '/api/v1/recordings/headless');
    const played = await playInChromium('fixed.webm', bytes, 16);
    console.log(`[e2e] Chromium (16×): ${JSON.stringify(played)}`);
    expect(played.error).toBeNull();
    expect(Math.abs(played.duration - stop.duration_ms / 1000)).toBeLessThanOrEqual(FRAME_S);
    expect(played.totalVideoFrames).toBe(stop.frames);
    await api(p, 'POST', '/api/v1/session/stop');
  });
});
