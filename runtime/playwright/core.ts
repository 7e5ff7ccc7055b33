/**
 * `patchbay/playwright/core`: the plain API for playwright-core scripts (no @playwright/test
 * needed). `patchbay/playwright` re-exports all of it plus the @playwright/test fixture.
 */
export { openPlayer, PlayerError } from './player';
export type { OpenPlayerOptions, PatchbayPlayer, WaitOptions } from './player';
export { startRuntime, PACKAGE_ROOT } from './runtime';
export { CHROMIUM_ARGS, SYSTEM_CHROMIUM } from './chromium';
export type { RuntimeHandle, RuntimeOptions } from './runtime';
export { finishRecording, decodeFrameImage } from './webm';
export type { Recording, DecodedImage } from './webm';
export type { FrameHash, PixelStats, PlayerSnapshot, PlayerStatus } from '../protocol';
