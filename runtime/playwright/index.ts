/**
 * `patchbay/playwright`: drive Patchbay patches from Playwright. `test` (an @playwright/test
 * fixture: `test.use({ patch })` and a `patchbay` player) and everything of the plain API
 * (`openPlayer`, `startRuntime`; also alone as `patchbay/playwright/core`). See ./README.md.
 */
export {
  openPlayer,
  PlayerError,
  startRuntime,
  PACKAGE_ROOT,
  finishRecording,
  decodeFrameImage,
} from './core';
export type {
  OpenPlayerOptions,
  PatchbayPlayer,
  WaitOptions,
  RuntimeHandle,
  RuntimeOptions,
  Recording,
  DecodedImage,
  FrameHash,
  PixelStats,
  PlayerSnapshot,
  PlayerStatus,
} from './core';
export { test, expect } from './test';
export type { PatchbayTestOptions, PatchbayWorkerOptions } from './test';
