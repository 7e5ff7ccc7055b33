import { defineConfig } from 'vitest/config';

// One test run for the whole repository: unit tests sit beside the code they test,
// e2e specs (Chromium) live in e2e/ and run in the same `npm test`.
export default defineConfig({
  test: {
    include: ['{nodes,patches,runtime,editor,app,bench,scripts}/**/*.test.{ts,tsx}', 'e2e/**/*.e2e.test.ts'],
    exclude: ['**/node_modules/**', 'editor/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
