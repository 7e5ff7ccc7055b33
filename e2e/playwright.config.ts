import { defineConfig } from '@playwright/test';

/**
 * A Playwright Test config for e2e/example.spec.ts, the copyable example of the Patchbay fixture
 * (`npx playwright test -c e2e/playwright.config.ts`). It drives a system Chromium (set
 * PATCHBAY_CHROMIUM to another binary) with the fake camera, so nothing is downloaded.
 * The repository's own e2e suite runs under vitest instead (e2e/*.e2e.test.ts).
 */
export default defineConfig({
  testDir: '.',
  testMatch: 'example.spec.ts',
  timeout: 90_000,
  workers: 1,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.PATCHBAY_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-device-for-media-stream=fps=30',
        '--use-fake-ui-for-media-stream',
        '--allow-loopback-in-peer-connection',
      ],
    },
  },
});
