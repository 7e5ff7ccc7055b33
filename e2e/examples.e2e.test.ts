/**
 * Headless playback of every example patch through the Playwright fixture (runtime/playwright,
 * plain API on playwright-core and the system Chromium): each plays, yields frames and reports no
 * node errors (a patch that needs a missing capability is skipped with the reason). Two
 * fixed-clock playbacks of the timeline example give identical frame hashes at the same times,
 * and a recording made through the fixture plays in Chromium with the requested duration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPlayer, startRuntime, type RuntimeHandle } from '../runtime/playwright/core';
import { haveChromium, launchChromium, ROOT as root } from './support/harness';

const examples = readdirSync(join(root, 'patches/examples'))
  .filter((f) => f.endsWith('.patch'))
  .map((f) => f.slice(0, -'.patch'.length))
  .sort();

let tmp: string;
let runtime: RuntimeHandle | null = null;
let context: BrowserContext | null = null;

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = mkdtempSync(join(tmpdir(), 'pb-examples-e2e-'));
  // Build the pages into our own folder: other e2e files rebuild editor/dist at the same time.
  const build = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'editor/vite.config.ts',
      '--outDir',
      join(tmp, 'editor'),
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`editor build failed:\n${build.stdout}\n${build.stderr}`);
  // The person clip the person-* examples play, written by the product's own script (e2e/ does
  // not import runtime/), and their learned models, fetched through npm by `patchbay models`
  // before the runtime starts (else the first example's worker fetches them while others play).
  const clip = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/tsx/dist/cli.mjs'),
      'runtime/io/person-clip.ts',
      join(tmp, 'data', 'assets'),
      '2',
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (clip.status !== 0) throw new Error(`person clip failed:\n${clip.stdout}\n${clip.stderr}`);
  const models = spawnSync(
    process.execPath,
    [join(root, 'bin/patchbay.mjs'), 'models', '--models-dir', join(tmp, 'data', 'models')],
    { cwd: root, encoding: 'utf8' },
  );
  if (models.status !== 0) throw new Error(`patchbay models failed:\n${models.stdout}\n${models.stderr}`);
  runtime = await startRuntime({ editorDir: join(tmp, 'editor'), dataDir: join(tmp, 'data') });
  context = await launchChromium();
}, 300_000);

afterAll(async () => {
  await context?.close();
  await runtime?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe.skipIf(!haveChromium)('every example patch plays through the fixture', () => {
  it.for(examples)('%s', async (name, ctx) => {
    const player = await openPlayer(context!, { patch: name, url: runtime!.url });
    try {
      const missing = await player.unavailable();
      if (missing.length) {
        // It must still load and run without errors; what it cannot do here is said.
        expect((await player.stats()).status).toBe('running');
        ctx.skip(
          `needs a capability this machine lacks: ${missing.map((m) => `${m.node}: ${m.reason}`).join('; ')}`,
        );
      }
      const s = await player.waitForFrames(10, { timeoutMs: 20_000 });
      for (const out of s.outputs) await player.waitForFrames(5, { output: out, timeoutMs: 10_000 });
      const after = await player.stats();
      expect(after.errors).toEqual([]);
      expect(Object.entries(after.nodes).filter(([, n]) => n.status === 'error')).toEqual([]);
      const pixels = await player.sampleOutput();
      expect(pixels.width).toBeGreaterThan(0);
      if (name === 'two-outputs') {
        // Each output shows its own track: gray on one, colour on the other (a shared msid once
        // put the first output on every video element).
        const chroma = (p: { mean: number[] }): number => Math.max(...p.mean) - Math.min(...p.mean);
        await expect
          .poll(async () => chroma(await player.sampleOutput('gray-out')), { timeout: 10_000 })
          .toBeLessThan(3);
        await expect
          .poll(async () => chroma(await player.sampleOutput('colour-out')), { timeout: 10_000 })
          .toBeGreaterThan(20);
      }
      if (Object.keys(after.timelines).length) {
        // Seeking moves the timeline (and its reported time) to the new place.
        expect((await player.seek(6)).length).toBeGreaterThan(0);
        await expect
          .poll(async () => (await player.stats()).time, { timeout: 5_000 })
          .toBeGreaterThanOrEqual(6);
      }
      const pipeline =
        after.outputs.length && Object.keys(after.nodes).find((id) => id === 'edges' || id === 'tint');
      if (pipeline) {
        await player.setParam(pipeline, 'strength', 0.3);
        await expect(player.setParam('no-such-node', 'strength', 1)).rejects.toThrow(/no-such-node/);
      }
    } finally {
      await player.close();
    }
  });
});

describe.skipIf(!haveChromium)('deterministic playback and recording', () => {
  /** Plays the timeline example on the fixed clock to `seconds`; returns runtime clock ms → hash. */
  async function play(seconds: number): Promise<Map<number, string>> {
    const player = await openPlayer(context!, {
      patch: 'test-pattern-timeline',
      url: runtime!.url,
      clock: 'fixed',
    });
    try {
      await player.waitForTime(seconds, { timeoutMs: 30_000 });
      const s = await player.stats();
      expect(s.clock).toBe('fixed');
      expect(s.errors).toEqual([]);
      return new Map((await player.frameHashes()).map((h) => [h.t, h.hash]));
    } finally {
      await player.close();
    }
  }

  it('two fixed-clock playbacks of the timeline example hash identical frames at the same times', async () => {
    // 4.5 s crosses the first prompt boundary (4 s), so the tint changes inside the window.
    const a = await play(4.5);
    const b = await play(4.5);
    const common = [...a.keys()].filter((t) => b.has(t) && t <= 4500).sort((x, y) => x - y);
    expect(common.length).toBeGreaterThanOrEqual(120);
    expect(common[0]).toBe(0);
    const differing = common.filter((t) => a.get(t) !== b.get(t));
    expect(differing).toEqual([]);
    expect(new Set(common.map((t) => a.get(t))).size).toBeGreaterThan(100);
  }, 90_000);

  it('a recording made through the fixture plays in Chromium with the requested duration', async () => {
    const player = await openPlayer(context!, { patch: 'test-pattern-gray', url: runtime!.url });
    let rec;
    try {
      rec = await player.record(2, { path: join(tmp, 'rec/gray.webm') });
    } finally {
      await player.close();
    }
    expect(rec.frames).toBeGreaterThan(30);
    expect(Math.abs(rec.durationMs - 2000)).toBeLessThan(250);
    const page = await context!.newPage();
    try {
      const b64 = readFileSync(rec.path).toString('base64');
      await page.setContent(`<video muted src="data:video/webm;base64,${b64}"></video>`);
      const played = await page.evaluate(async () => {
        const v = document.querySelector('video')!;
        await new Promise((r) => (v.readyState >= 1 ? r(null) : (v.onloadedmetadata = r)));
        await v.play();
        await new Promise((r) => setTimeout(r, 500));
        return {
          duration: v.duration,
          width: v.videoWidth,
          time: v.currentTime,
          error: v.error?.message ?? null,
        };
      });
      expect(played.error).toBeNull();
      expect(Math.abs(played.duration - 2)).toBeLessThan(0.25);
      expect(played.width).toBe(rec.width);
      expect(played.time).toBeGreaterThan(0.2);
    } finally {
      await page.close();
    }
  }, 60_000);
});
