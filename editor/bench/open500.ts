/**
 * Benchmark hook for `npm run bench`: opens a generated 500-node patch in the editor in Chromium
 * and measures the time until the first nodes are drawn, then the frame times while panning.
 *
 * The editor must already be served (by `patchbay serve`, whose URL you pass); the patch is
 * opened through the editor's own file input, as a user would, so parsing, the store, the React
 * Flow mapping and the first paint are all in the number.
 *
 * @example
 * const result = await measureOpen500({ url: 'http://127.0.0.1:8000/' });
 * // { nodes: 500, openMs: 1480, firstPaintMs: …, pan: { frames: 170, p50: 16.7, p95: 33.4, max: … } }
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { registry } from '../../nodes';
import { serializePatch } from '../../patches';
import { generateChainsPatch } from '../src/graph';

export interface Open500Options {
  /** The editor's URL (a running `patchbay serve`). `?offline` is added: no runtime session is needed. */
  url: string;
  nodes?: number;
  chromiumPath?: string;
  /** Mouse-move steps in the pan gesture (each is at least one frame). */
  panSteps?: number;
  viewport?: { width: number; height: number };
}

export interface Open500Result {
  nodes: number;
  /** From choosing the file to the store holding every node and React Flow drawing the first. */
  openMs: number;
  /** From choosing the file to the next animation frame after the nodes are in the DOM. */
  firstPaintMs: number;
  /** requestAnimationFrame intervals during a pan drag, in ms. */
  pan: { frames: number; p50: number; p95: number; max: number };
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Opens the patch in a fresh page and measures; see the module comment. */
export async function measureOpen500Page(
  page: Page,
  opts: Omit<Open500Options, 'chromiumPath' | 'viewport'>,
): Promise<Open500Result> {
  const count = opts.nodes ?? 500;
  const text = serializePatch(generateChainsPatch(registry, count));
  const url = new URL(opts.url);
  url.searchParams.set('offline', '1');
  await page.goto(url.toString());
  // A fresh page starts from its own autosave; clear it so the patch under test is the only one.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await page.getByTestId('file-input').waitFor({ state: 'attached' });
  await page.evaluate(() => {
    (window as unknown as { __t0: number }).__t0 = performance.now();
  });
  await page
    .getByTestId('file-input')
    .setInputFiles({ name: 'stress.patch', mimeType: 'application/json', buffer: Buffer.from(text) });
  const times = await page.evaluate(
    (n) =>
      new Promise<{ openMs: number; firstPaintMs: number }>((resolve) => {
        const t0 = (window as unknown as { __t0: number }).__t0;
        const check = () => {
          const store = (
            window as unknown as { patchbay: { getState: () => { patch: { nodes: unknown[] } } } }
          ).patchbay;
          if (store.getState().patch.nodes.length === n && document.querySelector('.react-flow__node')) {
            const openMs = performance.now() - t0;
            requestAnimationFrame(() => resolve({ openMs, firstPaintMs: performance.now() - t0 }));
          } else requestAnimationFrame(check);
        };
        check();
      }),
    count,
  );
  const box = await page.getByTestId('canvas').boundingBox();
  if (!box) throw new Error('the editor canvas is not visible');
  await page.evaluate(() => {
    const t: number[] = [];
    (window as unknown as { __frames: number[] }).__frames = t;
    const tick = (now: number) => {
      t.push(now);
      if (t.length < 5000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2, { steps: opts.panSteps ?? 60 });
  await page.mouse.up();
  const gaps = await page.evaluate(() => {
    const t = (window as unknown as { __frames: number[] }).__frames;
    (window as unknown as { __frames: number[] }).__frames = [];
    return t.slice(1).map((x, i) => x - t[i]!);
  });
  gaps.sort((a, b) => a - b);
  return {
    nodes: count,
    openMs: Math.round(times.openMs),
    firstPaintMs: Math.round(times.firstPaintMs),
    pan: {
      frames: gaps.length,
      p50: +quantile(gaps, 0.5).toFixed(2),
      p95: +quantile(gaps, 0.95).toFixed(2),
      max: +(gaps.at(-1) ?? NaN).toFixed(2),
    },
  };
}

/** Launches Chromium (headless, fresh profile), measures, and closes it. */
export async function measureOpen500(opts: Open500Options): Promise<Open500Result> {
  const profile = mkdtempSync(join(tmpdir(), 'pb-bench-editor-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: opts.chromiumPath ?? '/usr/bin/chromium',
    headless: true,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    return await measureOpen500Page(page, opts);
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}
