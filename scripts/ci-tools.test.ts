import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYSTEM_CHROMIUM } from '../runtime/playwright/chromium';

// The end-to-end suites skip themselves when Chromium or a C compiler (the NDI stand-in library)
// is missing, so a developer's `npm test` works anywhere. In CI (.ci/run sets CI=true) a missing
// tool must fail the run instead of passing with those suites skipped: this file is that failure.
// (Electron's binary cannot be had from the npm registry, so the app's e2e suite is not counted.)
const ci = process.env.CI === 'true' || process.env.CI === '1';

function compilerPresent(): boolean {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!cc) continue;
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

describe.runIf(ci)('CI has the tools the e2e suites need (else they would skip)', () => {
  it(`Chromium is at ${SYSTEM_CHROMIUM} (editor, Scope client, examples, recording, relay, media suites)`, () => {
    expect(existsSync(SYSTEM_CHROMIUM), `${SYSTEM_CHROMIUM} is missing: apt-get install chromium`).toBe(true);
  });

  it('a C compiler is on PATH (NDI stand-in library suites)', () => {
    expect(compilerPresent(), 'no cc, gcc or clang: apt-get install gcc').toBe(true);
  });
});
