/**
 * The editor against the running product (`patchbay serve` as a child process, the built editor
 * it serves), in Chromium with a fake camera: build Camera → gray Pipeline → Output from an empty
 * patch with search-to-add and drag-to-connect, Run, check gray frames in the preview's pixels,
 * change a param live, undo/redo it, save, reload, refuse an incompatible connection with its
 * hint, and open a 500-node patch.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  haveChromium,
  launchChromium,
  ROOT as root,
  startProduct,
  waitUntil as poll,
  type Product,
} from './support/harness';

const SCREENSHOT = join(root, 'e2e/screenshots/editor-running.png');

let product: Product | null = null;
let serverUrl = '';
let context: BrowserContext | null = null;
let page: Page;

async function buildAndStart(): Promise<void> {
  // The product serves editor/dist; build it so the test runs the current sources.
  const build = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'editor/vite.config.ts',
      '--logLevel',
      'error',
    ],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (build.status !== 0) throw new Error(`editor build failed:\n${build.stdout}\n${build.stderr}`);
  product = await startProduct();
  serverUrl = product.url;
}

function waitUntil<T>(
  what: string,
  fn: () => Promise<T | null | false | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  return poll(what, async () => (await fn()) ?? null, timeoutMs, {
    pollMs: 150,
    log: () => product?.log() ?? '',
  });
}

interface Pixels {
  width: number;
  height: number;
  meanChroma: number;
  meanLuma: number;
  lumaSpread: number;
  time: number;
}

/** Samples a video element's current frame in the page: colourfulness and brightness. */
async function pixels(testId: string): Promise<Pixels | null> {
  return page.evaluate((id) => {
    const v = document.querySelector(`[data-testid="${id}"]`) as HTMLVideoElement | null;
    if (!v || v.videoWidth === 0 || v.readyState < 2) return null;
    const c = document.createElement('canvas');
    c.width = 96;
    c.height = 96;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(v, 0, 0, 96, 96);
    const d = g.getImageData(0, 0, 96, 96).data;
    let chroma = 0;
    let luma = 0;
    let min = 255;
    let max = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i]!;
      const gg = d[i + 1]!;
      const b = d[i + 2]!;
      chroma += Math.max(Math.abs(r - gg), Math.abs(gg - b), Math.abs(r - b));
      const y = 0.299 * r + 0.587 * gg + 0.114 * b;
      luma += y;
      min = Math.min(min, y);
      max = Math.max(max, y);
    }
    return {
      width: v.videoWidth,
      height: v.videoHeight,
      meanChroma: chroma / n,
      meanLuma: luma / n,
      lumaSpread: max - min,
      time: v.currentTime,
    };
  }, testId);
}

/** Waits until the preview shows moving frames that pass `ok`. */
async function waitForFrames(what: string, ok: (p: Pixels) => boolean, timeoutMs = 25_000): Promise<Pixels> {
  let first: number | null = null;
  return waitUntil(
    what,
    async () => {
      const p = await pixels('preview-video');
      if (!p) return null;
      if (first === null) first = p.time;
      return p.time > first && ok(p) ? p : null;
    },
    timeoutMs,
  );
}

async function editorState<T>(fn: string): Promise<T> {
  return page.evaluate(
    `(() => { const s = window.patchbay.getState(); return (${fn})(s); })()`,
  ) as Promise<T>;
}

/** Drags from one handle to another with the mouse, as a user connects ports. */
async function dragPort(from: string, to: string): Promise<void> {
  const a = (await page.getByTestId(from).boundingBox())!;
  const b = (await page.getByTestId(to).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

async function addBySearch(query: string): Promise<void> {
  const search = page.getByTestId('palette-search');
  await search.fill(query);
  await search.press('Enter');
}

beforeAll(async () => {
  await buildAndStart();
  if (!haveChromium) return;
  context = await launchChromium({ viewport: { width: 1440, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => product!.note(`[page error] ${String(e)}`));
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await product?.stop();
});

describe.skipIf(!haveChromium)('editor in Chromium against patchbay serve', () => {
  it('builds, runs, edits live, undoes, saves and restores a patch', async () => {
    await page.goto(`${serverUrl}/`);
    await page.getByTestId('connection').filter({ hasText: 'runtime' }).waitFor({ timeout: 15_000 });
    // A first run opens the runtime's default patch, ready to Run…
    await expect
      .poll(() => editorState<string[]>('(s) => s.patch.nodes.map((n) => n.type)'), { timeout: 10_000 })
      .toEqual(['camera', 'pipeline', 'output']);
    // …and New starts the empty patch this test builds from.
    await page.getByTestId('file-new').click();
    expect(await editorState<number>('(s) => s.patch.nodes.length')).toBe(0);

    await addBySearch('camera');
    await addBySearch('gray');
    await addBySearch('output');
    await page.getByTestId('node-output-1').waitFor();
    expect(
      await editorState<string[]>(
        '(s) => s.patch.nodes.map((n) => n.type + ":" + (n.params.pipeline_id ?? ""))',
      ),
    ).toEqual(['camera:', 'pipeline:gray', 'output:']);

    await dragPort('port-camera-1-out-video', 'port-pipeline-1-in-video');
    await dragPort('port-pipeline-1-out-video', 'port-output-1-in-video');
    expect(await editorState<number>('(s) => s.patch.edges.length')).toBe(2);

    // An incompatible connection is refused, and the hint says why.
    await dragPort('port-camera-1-out-video', 'port-pipeline-1-in-prompts');
    const hint = page.getByTestId('connect-hint');
    await hint.waitFor({ state: 'visible' });
    expect(await hint.textContent()).toMatch(/carries video, but Pipeline's prompts input takes prompts/);
    expect(await editorState<number>('(s) => s.patch.edges.length')).toBe(2);

    await page.getByTestId('run-button').click();
    await page.getByTestId('run-state').filter({ hasText: 'Running' }).waitFor({ timeout: 30_000 });
    const gray = await waitForFrames(
      'gray frames in the preview',
      (p) => p.meanChroma < 8 && p.lumaSpread > 60,
    );
    console.log(
      `[e2e] gray preview ${gray.width}×${gray.height}: chroma ${gray.meanChroma.toFixed(1)}, luma ${gray.meanLuma.toFixed(1)}`,
    );
    expect(await pixels('node-video-output-1')).not.toBeNull();
    await page.getByTestId('badge-pipeline-1').filter({ hasText: 'fps' }).waitFor();

    // A live change: the pipeline becomes passthrough and the camera's colours come back.
    await page.getByTestId('node-pipeline-1').click();
    await page.getByTestId('field-pipeline-1-pipeline_id').selectOption('passthrough');
    await expect(page.getByTestId('loadmark-pipeline-1-pipeline_id')).toBeTruthy();
    const colour = await waitForFrames(
      'colour frames after the live change',
      (p) => p.meanChroma > gray.meanChroma + 10,
    );
    console.log(`[e2e] passthrough chroma ${colour.meanChroma.toFixed(1)}`);
    expect(await editorState<string>('(s) => s.runState')).not.toBe('idle');

    await page.keyboard.press('Escape');
    await page.getByTestId('undo').click();
    expect(await editorState<string>('(s) => s.patch.nodes[1].params.pipeline_id')).toBe('gray');
    await waitForFrames('gray frames after undo', (p) => p.meanChroma < 8);
    await page.getByTestId('redo').click();
    expect(await editorState<string>('(s) => s.patch.nodes[1].params.pipeline_id')).toBe('passthrough');
    await waitForFrames('colour frames after redo', (p) => p.meanChroma > gray.meanChroma + 10);
    await page.keyboard.press('Control+z');
    await waitForFrames('gray frames after Ctrl+Z', (p) => p.meanChroma < 8);

    // Save to the runtime's patches folder.
    await page.getByTestId('file-saveas').click();
    await page.getByTestId('saveas-name').fill('e2e gray');
    await page.getByTestId('saveas-runtime').click();
    await page.getByTestId('toast-success').filter({ hasText: 'Saved' }).waitFor();
    const saved = JSON.parse(readFileSync(join(product!.dataDir, 'patches/e2e-gray.patch'), 'utf8')) as {
      nodes: { params: { pipeline_id?: string } }[];
      edges: unknown[];
    };
    expect(saved.nodes.length).toBe(3);
    expect(saved.edges.length).toBe(2);
    expect(saved.nodes[1]!.params.pipeline_id).toBe('gray');

    // The screenshot for the README: running, stats on the nodes, gray output.
    await page.getByTestId('node-pipeline-1').click();
    await page.waitForTimeout(1500);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // Reload: the patch is back (autosave), and it runs again.
    await page.getByTestId('run-button').click();
    await page.reload();
    await page.getByTestId('node-output-1').waitFor();
    expect(await editorState<string[]>('(s) => s.patch.edges.map((e) => e.id)')).toEqual([
      'camera-1.video--pipeline-1.video',
      'pipeline-1.video--output-1.video',
    ]);
    expect(await editorState<string | null>('(s) => s.fileName')).toBe('e2e-gray.patch');
    expect(await page.getByTestId('patch-title').textContent()).toContain('e2e gray');
    await page.getByTestId('connection').filter({ hasText: 'runtime' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('run-button').click();
    await waitForFrames('gray frames after the reload', (p) => p.meanChroma < 8 && p.lumaSpread > 60);
    await page.getByTestId('run-button').click();
  }, 180_000);

  it('opens a 500-node patch and pans it', async () => {
    const nodes: unknown[] = [];
    const edges: unknown[] = [];
    for (let c = 0; c < 100; c++) {
      const ids = ['camera', 'pipeline', 'pipeline', 'pipeline', 'output'].map((t, k) => `${t}-${c}-${k}`);
      ids.forEach((id, k) => {
        const type = id.split('-')[0]!;
        const params =
          type === 'camera'
            ? { source_mode: 'test_pattern' }
            : type === 'pipeline'
              ? { pipeline_id: 'gray' }
              : { name: `out ${c}` };
        nodes.push({ id, type, version: 1, params, position: { x: k * 280, y: c * 170 } });
        if (k)
          edges.push({
            id: `e-${c}-${k}`,
            from: { node: ids[k - 1], port: 'video' },
            to: { node: id, port: 'video' },
          });
      });
    }
    const patch = {
      format: 'patchbay',
      format_version: 1,
      metadata: { name: '500 nodes', created_at: new Date(0).toISOString(), app_version: '0.1.0' },
      nodes,
      edges,
    };
    const t0 = Date.now();
    await page.getByTestId('file-input').setInputFiles({
      name: 'big.patch',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(patch)),
    });
    await waitUntil('500 nodes', () => editorState<boolean>('(s) => s.patch.nodes.length === 500'));
    await page.locator('.react-flow__node').first().waitFor();
    const openMs = Date.now() - t0;
    const box = (await page.getByTestId('canvas').boundingBox())!;
    const frames = await page.evaluate(() => {
      const times: number[] = [];
      (window as unknown as { __frames: number[] }).__frames = times;
      const tick = (t: number) => {
        times.push(t);
        if (times.length < 2000) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      return true;
    });
    expect(frames).toBe(true);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 50, box.y + 60, { steps: 40 });
    await page.mouse.up();
    const gaps = await page.evaluate(() => {
      const t = (window as unknown as { __frames: number[] }).__frames;
      return t.slice(1).map((x, i) => x - t[i]!);
    });
    gaps.sort((a, b) => a - b);
    const p50 = gaps[Math.floor(gaps.length / 2)] ?? NaN;
    console.log(
      `[e2e] 500-node patch: open ${openMs} ms, pan frame p50 ${p50.toFixed(1)} ms over ${gaps.length} frames`,
    );
    expect(openMs).toBeLessThan(15_000);
    expect(await page.locator('.react-flow__node').count()).toBeGreaterThan(0);
  }, 90_000);
});
