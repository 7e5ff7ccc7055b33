import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../lib/chromium';
import { waitFor } from '../lib/proc';
import { ROOT, startPatchbay } from '../lib/servers';
import { figure, percentile, withFloor } from '../stats';
import { SkipScenario, type Scenario } from '../types';
import { generatePatch } from './compile';

/** Builds the editor from the current sources into a temporary folder (the shared editor/dist is left alone). */
function buildEditor(out: string): void {
  const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
  if (!existsSync(vite)) throw new SkipScenario('vite is not installed (npm install)');
  const r = spawnSync(
    process.execPath,
    [
      vite,
      'build',
      '--config',
      'editor/vite.config.ts',
      '--outDir',
      out,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    },
  );
  if (r.status !== 0)
    throw new Error(`the editor build failed: ${(r.stderr || r.stdout || String(r.error)).slice(-1500)}`);
}

/** Frame times (rAF gaps, ms) while the mouse drags the canvas there and back. */
async function panFrames(page: Page): Promise<number[]> {
  const box = await page.getByTestId('canvas').boundingBox();
  if (!box) throw new Error('the editor canvas (data-testid="canvas") is not on the page');
  // Strings, not functions: tsx's transform adds helpers (__name) that do not exist in the page.
  await page.evaluate(
    `(() => { window.__benchFrames = []; window.__benchStop = false;
      const tick = (t) => { window.__benchFrames.push(t); if (!window.__benchStop) requestAnimationFrame(tick); };
      requestAnimationFrame(tick); })()`,
  );
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.mouse.move(cx - 300, cy - 200, { steps: 40 });
  await page.mouse.move(cx, cy, { steps: 40 });
  await page.mouse.up();
  return page.evaluate(
    `(() => { window.__benchStop = true; const t = window.__benchFrames;
      return t.slice(2).map((x, i) => x - t[i + 1]); })()`,
  ) as Promise<number[]>;
}

/**
 * Scenario 6 — editor: the editor built from the current sources and served by `patchbay serve`,
 * in headless Chromium (software rendering). Opens a 500-node patch through the file input and
 * times until the first node is on screen, then pans the canvas with the mouse and records the
 * frame times (requestAnimationFrame gaps). The floor: the same pan over the empty editor.
 */
export const editorScenario: Scenario = {
  id: 'editor',
  number: 6,
  title: 'Editor: open and pan a 500-node patch',
  async run(ctx, result) {
    const runs = ctx.options.repeat ?? (ctx.options.quick ? 1 : 3);
    const dist = mkdtempSync(join(tmpdir(), 'patchbay-bench-editor-'));
    const patch = generatePatch(500);
    const open: number[] = [];
    const emptyP50: number[] = [];
    const emptyP99: number[] = [];
    const p50: number[] = [];
    const p99: number[] = [];
    const dom: number[] = [];
    try {
      ctx.log('  building the editor…');
      buildEditor(dist);
      const server = await startPatchbay(['--editor-dir', dist]);
      const browser = await launchChromium();
      try {
        for (let r = 0; r < runs; r++) {
          const page = await browser.context.newPage();
          await page.setViewportSize({ width: 1280, height: 800 });
          try {
            await page.goto(`${server.url}/?offline`);
            await waitFor(
              'the editor to start',
              async () => page.evaluate("'patchbay' in window") as Promise<boolean>,
              30_000,
            );
            await page.getByTestId('canvas').waitFor({ timeout: 30_000 });
            const empty = await panFrames(page);
            emptyP50.push(percentile(empty, 50));
            emptyP99.push(percentile(empty, 99));
            const t0 = performance.now();
            await page.getByTestId('file-input').setInputFiles({
              name: 'bench-500.patch',
              mimeType: 'application/json',
              buffer: Buffer.from(JSON.stringify(patch)),
            });
            await page.locator('.react-flow__node').first().waitFor({ timeout: 60_000 });
            open.push(performance.now() - t0);
            dom.push(await page.locator('.react-flow__node').count());
            const frames = await panFrames(page);
            p50.push(percentile(frames, 50));
            p99.push(percentile(frames, 99));
          } finally {
            await page.close();
          }
        }
      } finally {
        await browser.close();
        await server.stop();
      }
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
    const floor = figure('empty_pan_frame_p50', 'empty editor: pan frame time p50', 'ms', emptyP50);
    const floor99 = figure('empty_pan_frame_p99', 'empty editor: pan frame time p99', 'ms', emptyP99);
    result.figures.push(
      figure('open_500_first_render', '500 nodes: file open → first node on screen', 'ms', open),
      floor,
      withFloor(figure('pan_500_frame_p50', '500 nodes: pan frame time p50', 'ms', p50), floor),
      floor99,
      withFloor(figure('pan_500_frame_p99', '500 nodes: pan frame time p99', 'ms', p99), floor99),
      figure('nodes_in_dom', '500 nodes: nodes in the DOM after opening', 'nodes', dom),
    );
    result.notes.push(
      `${runs} run(s); 1280×800 viewport, headless Chromium with --disable-gpu (software compositing); the pan drags 300×200 px and back in 80 mouse steps; the editor is built from the current sources into a temporary folder and served by patchbay serve (?offline: no runtime session)`,
    );
  },
};
