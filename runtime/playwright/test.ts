import { test as base, expect } from '@playwright/test';
import { openPlayer, type PatchbayPlayer } from './player';
import { startRuntime, type RuntimeHandle } from './runtime';

/** Per-test options: `test.use({ patch: 'effects', clock: 'fixed' })`. */
export interface PatchbayTestOptions {
  /** The patch to play: a name (example or saved), a URL, or a .patch file path. */
  patch: string;
  /** `fixed` for deterministic frames (the runtime clock advances one frame per produced frame). */
  clock: 'real' | 'fixed';
  /** How long to wait for the player to run, ms. */
  playerTimeoutMs: number;
}

/** Per-worker options: `patchbayUrl` uses a running runtime instead of starting one. */
export interface PatchbayWorkerOptions {
  patchbayUrl: string | undefined;
}

interface Fixtures extends PatchbayTestOptions {
  patchbay: PatchbayPlayer;
}

interface WorkerFixtures extends PatchbayWorkerOptions {
  patchbayRuntime: RuntimeHandle | null;
}

/**
 * @playwright/test's `test` with a `patchbay` fixture: one runtime per worker (started on a free
 * port unless `patchbayUrl` is set), one player page per test.
 *
 * @example
 * import { test, expect } from 'patchbay/playwright';
 * test.use({ patch: 'effects' });
 * test('plays', async ({ patchbay }) => { await patchbay.waitForFrames(30); });
 */
export const test = base.extend<Fixtures, WorkerFixtures>({
  patch: ['', { option: true }],
  clock: ['real', { option: true }],
  playerTimeoutMs: [60_000, { option: true }],
  patchbayUrl: [undefined, { option: true, scope: 'worker' }],
  patchbayRuntime: [
    async ({ patchbayUrl }, use) => {
      if (patchbayUrl) return use(null);
      const runtime = await startRuntime();
      await use(runtime);
      await runtime.stop();
    },
    { scope: 'worker' },
  ],
  patchbay: async ({ context, patch, clock, playerTimeoutMs, patchbayUrl, patchbayRuntime }, use) => {
    if (!patch) throw new Error('patchbay: set the patch to play with test.use({ patch: "NAME" })');
    const url = patchbayUrl ?? patchbayRuntime!.url;
    const player = await openPlayer(context, { patch, clock, url, timeoutMs: playerTimeoutMs });
    await use(player);
    await player.close();
  },
});

export { expect };
