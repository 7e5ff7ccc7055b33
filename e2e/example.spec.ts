/**
 * Copy this file to script Patchbay from Playwright Test. In your project import from
 * 'patchbay/playwright'; here, inside the repository, the fixture is imported by path.
 * Run: npx playwright test -c e2e/playwright.config.ts
 */
import { test, expect } from 'patchbay/playwright';

test.describe('the effects example', () => {
  // The fixture starts `patchbay serve` on a free port for this worker (or set patchbayUrl).
  test.use({ patch: 'effects' });

  test('plays both outputs without node errors', async ({ patchbay }) => {
    await patchbay.waitForFrames(30, { output: 'edges-out' });
    await patchbay.waitForFrames(30, { output: 'trails-out' });
    const stats = await patchbay.stats();
    expect(stats.errors).toEqual([]);
    expect(stats.nodes.edges?.status).toBe('running');
    const pixels = await patchbay.sampleOutput('edges-out');
    expect(pixels.black).toBe(false);
  });

  test('a live param change reaches the runtime', async ({ patchbay }) => {
    await patchbay.waitForFrames(10);
    await patchbay.setParam('edges', 'strength', 0.2);
    expect((await patchbay.stats()).errors).toEqual([]);
  });
});

test.describe('deterministic playback of the timeline example', () => {
  test.use({ patch: 'test-pattern-timeline', clock: 'fixed' });

  test('frames at fixed clock times, a recording of 2 s', async ({ patchbay }) => {
    await patchbay.waitForTime(1);
    const hashes = await patchbay.frameHashes();
    // One frame every 1000/30 ms on the fixed clock: the first frame is at 0.
    expect(hashes[0]?.t).toBe(0);
    // Store these in your repository and compare after an upgrade: same patch → same hashes.
    console.log(hashes.slice(0, 3));
    const rec = await patchbay.record(2, { path: test.info().outputPath('timeline.webm') });
    expect(rec.frames).toBeGreaterThan(0);
  });
});
