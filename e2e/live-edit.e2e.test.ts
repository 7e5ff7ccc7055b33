/**
 * Live edits against the running product (`patchbay serve` as a child process), in Chromium with
 * the fake camera at 30 fps streaming camera → output through an editor session:
 *  1. a `gray` Pipeline is inserted between them in ONE patch.change (node.add, edge.remove,
 *     2× edge.add): the frames the page receives turn gray, and the longest gap between frames
 *     (requestVideoFrameCallback in the page) stays within the bound; removing it brings colour
 *     back within the same bound. The bound is two frame intervals, or — when the same stream
 *     without an edit (measured in the same run over windows as long as an edit's, one before
 *     and one after the edits) already has a longer gap on this machine — that baseline plus one
 *     interval, printed as such.
 *  2. the pipeline's worker is killed mid-stream (SIGUSR2 with PATCHBAY_TEST_HOOKS=1, see
 *     runtime/engine/README.md): the stream goes on, the node reports the error (node.error and
 *     a stats message with status "error" over the WebSocket), then recovers (stats "running",
 *     gray frames again).
 */
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  haveChromium,
  launchChromium,
  ROOT as root,
  servePages,
  startProduct,
  waitUntil as poll,
  type Product,
} from './support/harness';

const INTERVAL_MS = 1000 / 30;
/** Timestamp jitter allowed on a gap (far below one vsync, 16.7 ms, the smallest real delay). */
const JITTER_MS = 1;
/** Each measured window (the baseline and each edit) lasts this long. */
const WINDOW_MS = 3000;
/** Mean per-pixel chroma (max − min channel, 0–255) below which a frame counts as gray. */
const GRAY_MAX = 6;
/** … and above which it counts as colour (the fake camera's pattern is far above it). */
const COLOUR_MIN = 15;

interface NodeStatsLite {
  status: string;
  message?: string;
  frames_out: number;
}
interface LiveState {
  phase: string;
  error: string | null;
  frames: [number, number][];
  width: number;
  height: number;
  stats: { t: number; nodes: Record<string, NodeStatsLite> }[];
  nodeErrors: { t: number; node: string; message: string; recoverable: boolean }[];
}
interface ChangeResult {
  ok: boolean;
  error: string | null;
  sent: number;
  acked: number;
}

let product: Product | null = null;
let serverUrl = '';
let pages: { origin: string; close(): Promise<void> } | null = null;
let pageOrigin = '';
let context: BrowserContext | null = null;
let page: Page;

async function launchToken(): Promise<string> {
  const html = await (await fetch(`${serverUrl}/`)).text();
  const m = /<meta name="patchbay-token" content="([^"]+)">/.exec(html);
  if (!m) throw new Error(`no patchbay-token meta tag in the served page:\n${html.slice(0, 500)}`);
  return m[1]!;
}

function waitUntil<T>(what: string, fn: () => Promise<T | null | false>, timeoutMs: number): Promise<T> {
  return poll(what, fn, timeoutMs, { pollMs: 100, log: () => product?.log() ?? '' });
}

const state = (): Promise<LiveState> => page.evaluate(() => (window as unknown as { live: LiveState }).live);
const pageNow = (): Promise<number> => page.evaluate(() => performance.now());

/** Waits on the page's clock (the frame times are on it). */
async function waitUntilPageTime(t: number): Promise<void> {
  const now = await pageNow();
  if (t > now) await page.waitForTimeout(t - now);
}

/** Frames presented in [t0, t1], plus the last one before t0 (so a gap across t0 counts). */
function framesIn(frames: [number, number][], t0: number, t1: number): [number, number][] {
  const first = frames.findIndex(([t]) => t >= t0);
  if (first < 0) return frames.slice(-1);
  const out = frames.slice(Math.max(0, first - 1)).filter(([t]) => t <= t1);
  return out;
}

/** The longest gap between consecutive presented frames over [t0, t1], and where it is. */
function maxGap(frames: [number, number][], t0: number, t1: number): { gap: number; at: number; n: number } {
  const w = framesIn(frames, t0, t1);
  let gap = 0;
  let at = t0;
  for (let i = 1; i < w.length; i++) {
    const d = w[i]![0] - w[i - 1]![0];
    if (d > gap) [gap, at] = [d, w[i]![0]];
  }
  // No frame since the last one before t1: that silence is a gap too.
  const last = w[w.length - 1];
  if (last && t1 - last[0] > gap) [gap, at] = [t1 - last[0], t1];
  return { gap, at, n: w.length };
}

const round = (x: number) => Math.round(x * 10) / 10;

/** The WebRTC peer's counters from /api/v1/session/metrics (keyframes sent, PLIs received). */
async function peerCounters(): Promise<{ keyframesOut: number; plisReceived: number; framesOut: number }> {
  const m = (await (await fetch(`${serverUrl}/api/v1/session/metrics`)).json()) as {
    sessions: Record<string, { webrtc?: Record<string, number>[] }>;
  };
  const peer = Object.values(m.sessions).flatMap((x) => x.webrtc ?? [])[0] ?? {};
  return {
    keyframesOut: peer.keyframesOut ?? NaN,
    plisReceived: peer.plisReceived ?? NaN,
    framesOut: peer.framesOut ?? NaN,
  };
}

const edge = (id: string, from: string, to: string) => ({
  id,
  from: { node: from, port: 'video' },
  to: { node: to, port: 'video' },
});

function cameraToOutput(): Record<string, unknown> {
  return {
    format: 'patchbay',
    format_version: 1,
    metadata: {
      name: 'live edit e2e',
      description: '',
      created_at: '2026-01-01T00:00:00.000Z',
      app_version: '0.1.0',
    },
    nodes: [
      { id: 'cam', type: 'camera', version: 1, position: { x: 0, y: 0 }, params: { source_mode: 'camera' } },
      { id: 'out', type: 'output', version: 1, position: { x: 400, y: 0 }, params: { name: 'main' } },
    ],
    edges: [edge('e-cam-out', 'cam', 'out')],
  };
}

const INSERT_GRAY = [
  {
    op: 'node.add',
    node: {
      id: 'gray',
      type: 'pipeline',
      version: 1,
      position: { x: 200, y: 0 },
      params: { pipeline_id: 'gray' },
    },
  },
  { op: 'edge.remove', id: 'e-cam-out' },
  { op: 'edge.add', edge: edge('e-cam-gray', 'cam', 'gray') },
  { op: 'edge.add', edge: edge('e-gray-out', 'gray', 'out') },
];
const REMOVE_GRAY = [
  { op: 'edge.remove', id: 'e-cam-gray' },
  { op: 'edge.remove', id: 'e-gray-out' },
  { op: 'node.remove', id: 'gray' },
  { op: 'edge.add', edge: edge('e-cam-out', 'cam', 'out') },
];

async function change(changes: unknown[]): Promise<ChangeResult> {
  const r = await page.evaluate(
    (c) => (window as unknown as { live: { change(c: unknown): Promise<ChangeResult> } }).live.change(c),
    changes,
  );
  expect(r.error, 'patch.change refused').toBeNull();
  expect(r.ok).toBe(true);
  return r;
}

interface EditWindow {
  gap: number;
  /** The longest gap in the half second from the edit (the switch itself), for the printout. */
  switchGap: number;
  at: number;
  frames: number;
  /** Page time of the first frame of the new look (gray, or colour again). */
  switchedAt: number;
  ackMs: number;
}

/**
 * Sends an edit, waits one window, and checks the look of the frames switches once: the ones
 * before the switch look `before`, every one after looks `after`.
 */
async function editAndMeasure(changes: unknown[], after: 'gray' | 'colour'): Promise<EditWindow> {
  const r = await change(changes);
  await waitUntilPageTime(r.sent + WINDOW_MS);
  const s = await state();
  const looks = (c: number) => (after === 'gray' ? c <= GRAY_MAX : c >= COLOUR_MIN);
  const w = framesIn(s.frames, r.sent, r.sent + WINDOW_MS).slice(1);
  const first = w.findIndex(([, c]) => looks(c));
  expect(first, `no ${after} frame within ${WINDOW_MS} ms of the edit`).toBeGreaterThanOrEqual(0);
  const stray = w.slice(first).filter(([, c]) => !looks(c));
  expect(
    stray.map(([t, c]) => `${round(t - r.sent)} ms: chroma ${round(c)}`),
    `frames after the switch to ${after} that do not look ${after}`,
  ).toEqual([]);
  const g = maxGap(s.frames, r.sent, r.sent + WINDOW_MS);
  return {
    gap: g.gap,
    switchGap: maxGap(s.frames, r.sent, r.sent + 500).gap,
    at: g.at - r.sent,
    frames: g.n,
    switchedAt: w[first]![0] - r.sent,
    ackMs: r.acked - r.sent,
  };
}

describe.skipIf(!haveChromium)('live edits while a browser streams (product + Chromium)', () => {
  beforeAll(async () => {
    [product, pages] = await Promise.all([
      startProduct({ env: { PATCHBAY_TEST_HOOKS: '1' } }),
      servePages(join(root, 'e2e/pages')),
    ]);
    serverUrl = product.url;
    pageOrigin = pages.origin;
    const token = await launchToken();
    context = await launchChromium();
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => product!.note(`[page error] ${String(e)}`));
    await page.goto(
      `${pageOrigin}/live-edit.html?server=${encodeURIComponent(serverUrl)}&token=${encodeURIComponent(token)}`,
    );
    const phase = await page.evaluate(
      (patch) => (window as unknown as { live: { start(p: unknown): Promise<string> } }).live.start(patch),
      cameraToOutput(),
    );
    if (phase !== 'streaming')
      throw new Error(`page did not start: ${(await state()).error}\n${product.log()}`);
    await waitUntil('the first 30 frames', async () => (await state()).frames.length >= 30, 30_000);
    // Let Chromium's sender settle (resolution, bitrate) before measuring.
    await page.waitForTimeout(1500);
  }, 90_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await product?.stop();
    await pages?.close();
  });

  it('inserting gray turns frames gray and removing it brings colour back, without a gap', async () => {
    // Baseline: the same stream with no edit, over windows as long as an edit's: one before the
    // edits and one after (the machine's load changes while the test runs); the larger counts.
    const quiet = async () => {
      const t0 = await pageNow();
      await waitUntilPageTime(t0 + WINDOW_MS);
      return maxGap((await state()).frames, t0, t0 + WINDOW_MS);
    };
    const before = await quiet();
    const s0 = await state();
    const colourNow = s0.frames.slice(-10).map(([, c]) => c);
    expect(Math.min(...colourNow), 'the camera stream is in colour before the edit').toBeGreaterThanOrEqual(
      COLOUR_MIN,
    );

    const k0 = await peerCounters();
    const insert = await editAndMeasure(INSERT_GRAY, 'gray');
    const remove = await editAndMeasure(REMOVE_GRAY, 'colour');
    const k1 = await peerCounters();
    const after = await quiet();
    const base = before.gap >= after.gap ? before : after;

    const twoIntervals = 2 * INTERVAL_MS;
    // Two intervals, unless the same stream without an edit already has a longer gap on this
    // machine (2 shared cores): then the baseline plus one interval, printed as such.
    // requestVideoFrameCallback times come in vsync steps (4 × 16.67 ms = two intervals) with
    // sub-millisecond jitter (66.8 ms is four vsyncs); a late frame is a whole vsync later.
    const within = (gap: number) => gap <= twoIntervals + JITTER_MS;
    const baselineOver = !within(base.gap);
    const bound = baselineOver ? base.gap + INTERVAL_MS + JITTER_MS : twoIntervals + JITTER_MS;
    const line = (what: string, g: { gap: number; frames: number }) =>
      `${what.padEnd(22)} max gap ${round(g.gap).toFixed(1).padStart(6)} ms over ${g.frames} frames`;
    console.log(
      [
        '',
        `[live-edit e2e] ${s0.width}×${s0.height}, windows of ${WINDOW_MS} ms, frame interval ${round(INTERVAL_MS)} ms`,
        `[live-edit e2e] ${line('baseline before', { gap: before.gap, frames: before.n })}`,
        `[live-edit e2e] ${line('baseline after', { gap: after.gap, frames: after.n })}`,
        `[live-edit e2e] ${line('insert gray', insert)} (${round(insert.switchGap)} ms in the first 500 ms; ack ${round(insert.ackMs)} ms, gray from ${round(insert.switchedAt)} ms, longest gap ends at ${round(insert.at)} ms)`,
        `[live-edit e2e] ${line('remove gray', remove)} (${round(remove.switchGap)} ms in the first 500 ms; ack ${round(remove.ackMs)} ms, colour from ${round(remove.switchedAt)} ms, longest gap ends at ${round(remove.at)} ms)`,
        `[live-edit e2e] across both edits the runtime sent ${k1.framesOut - k0.framesOut} frames, ${k1.keyframesOut - k0.keyframesOut} keyframe(s) (${k1.plisReceived - k0.plisReceived} PLI received; one is forced every 300 frames): the encoder is not re-opened by an edit`,
        baselineOver
          ? `[live-edit e2e] bound: ${round(bound)} ms = baseline ${round(base.gap)} ms + 1 interval  <-- NOTE: the stream WITHOUT any edit already exceeds 2 intervals (${round(twoIntervals)} ms) on this machine`
          : `[live-edit e2e] bound: 2 intervals = ${round(twoIntervals)} ms (the baseline is within it)`,
        `[live-edit e2e] edits within 2 intervals themselves: insert ${within(insert.gap) ? 'yes' : 'NO'}, remove ${within(remove.gap) ? 'yes' : 'NO'}`,
        '',
      ].join('\n'),
    );
    // The new look shows within half a second of the edit: the engine keeps a spare worker booted,
    // ready in milliseconds (a cold boot passed colour frames through for ≈ 750 ms here).
    expect(insert.switchedAt).toBeLessThan(500);
    expect(remove.switchedAt).toBeLessThan(500);
    expect(insert.gap, 'max gap across inserting gray').toBeLessThanOrEqual(bound);
    expect(remove.gap, 'max gap across removing gray').toBeLessThanOrEqual(bound);
  }, 30_000);

  it('a pipeline worker killed mid-stream: the stream goes on, the node shows the error, then recovers', async () => {
    const insert = await editAndMeasure(INSERT_GRAY, 'gray');
    expect(insert.switchedAt).toBeLessThan(1000);
    const before = await state();
    const killedAt = await pageNow();
    const errorsBefore = before.nodeErrors.length;
    const statsBefore = before.stats.length;
    expect(product!.proc.kill('SIGUSR2')).toBe(true);

    const err = await waitUntil(
      'node.error for the gray node',
      async () => (await state()).nodeErrors.slice(errorsBefore).find((e) => e.node === 'gray') ?? null,
      5000,
    );
    expect(err.recoverable).toBe(true);
    expect(err.message).toMatch(/worker stopped/);
    const shown = await waitUntil(
      'stats showing the gray node in error',
      async () =>
        (await state()).stats.slice(statsBefore).find((s) => s.nodes.gray?.status === 'error') ?? null,
      5000,
    );
    expect(shown.nodes.gray!.message).toMatch(/worker/);
    const recovered = await waitUntil(
      'stats showing the gray node running again',
      async () =>
        (await state()).stats
          .slice(statsBefore)
          .find((s) => s.t > shown.t && s.nodes.gray?.status === 'running') ?? null,
      10_000,
    );
    // The stream went on: gray frames keep arriving after the recovery, at a steady rate.
    await waitUntilPageTime(recovered.t + 1500);
    const after = await state();
    const since = after.frames.filter(([t]) => t > recovered.t && t <= recovered.t + 1500);
    const crashGap = maxGap(after.frames, killedAt, recovered.t + 1500);
    console.log(
      `[live-edit e2e] worker killed: node.error after ${round(err.t - killedAt)} ms ("${err.message}"), ` +
        `stats "error" after ${round(shown.t - killedAt)} ms, "running" after ${round(recovered.t - killedAt)} ms; ` +
        `longest gap across the crash ${round(crashGap.gap)} ms; ${since.length} frames in the 1.5 s after`,
    );
    expect(since.length).toBeGreaterThanOrEqual(30);
    expect(
      since.every(([, c]) => c <= GRAY_MAX),
      'frames after the recovery are gray',
    ).toBe(true);
    expect(after.phase).toBe('streaming');
  }, 30_000);
});
