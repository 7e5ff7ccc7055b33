/**
 * Desktop app smoke test: launches the real Electron app (under Xvfb when there is no display)
 * with playwright-core's Electron support, opens an example patch the way the file manager does
 * (as a command-line argument), checks the editor page runs sandboxed with the preload bridge,
 * and takes a screenshot (test-results/app-smoke.png). Needs an Electron binary: node_modules/
 * electron, or ELECTRON_OVERRIDE_DIST_PATH. Without one the test is reported as skipped, with
 * the reason in its name and on stderr — never as passed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron } from 'playwright-core';
import { describe, it, expect } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function which(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, program);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * The Electron binary, found as `npm run app` finds it (app/electron-binary.ts; e2e may not import
 * app/, so the two lookups are kept alike by hand): ELECTRON_OVERRIDE_DIST_PATH, then the
 * electron package's path.txt.
 */
function findElectron(): { found: true; path: string } | { found: false; reason: string } {
  const inDist =
    process.platform === 'darwin'
      ? 'Electron.app/Contents/MacOS/Electron'
      : process.platform === 'win32'
        ? 'electron.exe'
        : 'electron';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, inDist);
    return existsSync(path)
      ? { found: true, path }
      : { found: false, reason: `ELECTRON_OVERRIDE_DIST_PATH has no ${inDist}` };
  }
  const pkg = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json')))
    return { found: false, reason: 'the optional "electron" package is not installed' };
  const relative = existsSync(join(pkg, 'path.txt'))
    ? readFileSync(join(pkg, 'path.txt'), 'utf8').trim()
    : '';
  const path = join(pkg, 'dist', relative);
  return relative && existsSync(path)
    ? { found: true, path }
    : { found: false, reason: 'node_modules/electron has no binary' };
}

const lookup = findElectron();
const xvfb = process.platform === 'linux' && !process.env.DISPLAY ? which('Xvfb') : null;
const skipReason = !lookup.found
  ? `no Electron binary: ${lookup.reason}; set ELECTRON_OVERRIDE_DIST_PATH or npm install electron`
  : process.platform === 'linux' && !process.env.DISPLAY && !xvfb
    ? 'no X display and no Xvfb (apt-get install xvfb)'
    : null;
if (skipReason) process.stderr.write(`[e2e/app] SKIPPED: ${skipReason}\n`);

/** Starts Xvfb on a free display number; resolves the DISPLAY value and the process. */
async function startXvfb(binary: string): Promise<{ display: string; proc: ChildProcess }> {
  for (let n = 90; n < 110; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn(binary, [`:${n}`, '-screen', '0', '1600x1000x24', '-nolisten', 'tcp'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50 && !existsSync(`/tmp/.X11-unix/X${n}`); i++)
      await new Promise((r) => setTimeout(r, 100));
    if (existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, proc };
    proc.kill();
  }
  throw new Error('Xvfb did not start on any display :90–:109');
}

describe.skipIf(skipReason !== null)(
  `desktop app smoke${skipReason ? ` — skipped: ${skipReason}` : ''}`,
  () => {
    it('launches, opens an example patch from the command line, and takes a screenshot', async () => {
      if (!lookup.found) throw new Error('unreachable: skipped without Electron');
      const examples = readdirSync(join(root, 'patches', 'examples')).filter((f) => f.endsWith('.patch'));
      expect(examples.length, 'patches/examples/ has no .patch file to open').toBeGreaterThan(0);
      const patchPath = join(
        root,
        'patches',
        'examples',
        examples.includes('test-pattern-gray.patch') ? 'test-pattern-gray.patch' : examples[0]!,
      );

      const work = mkdtempSync(join(tmpdir(), 'patchbay-app-e2e-'));
      const outdir = join(work, 'dist');
      execFileSync(process.execPath, [join(root, 'app', 'scripts', 'build-app.mjs'), '--outdir', outdir]);
      const x = xvfb ? await startXvfb(xvfb) : null;
      const args = [outdir, patchPath];
      if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
      const app = await electron.launch({
        executablePath: lookup.path,
        args,
        cwd: root,
        timeout: 60_000,
        env: {
          ...(process.env as Record<string, string>),
          ...(x ? { DISPLAY: x.display } : {}),
          PATCHBAY_NODE: process.execPath,
          PATCHBAY_ROOT: root,
          PATCHBAY_USER_DATA: join(work, 'userData'),
        },
      });
      try {
        const page = await app.firstWindow({ timeout: 60_000 });
        await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: 60_000 });
        await page.waitForLoadState('load');

        // The renderer is isolated: no Node, only the narrow bridge.
        const surface = await page.evaluate(() => ({
          bridge: typeof window.patchbayApp,
          apiVersion: window.patchbayApp?.apiVersion,
          require: typeof (window as unknown as { require?: unknown }).require,
          process: typeof (window as unknown as { process?: unknown }).process,
        }));
        expect(surface).toEqual({
          bridge: 'object',
          apiVersion: 1,
          require: 'undefined',
          process: 'undefined',
        });

        // The file passed on the command line reaches a subscriber to onOpenPatch.
        const opened = await page.evaluate(
          () =>
            new Promise<{ path: string; length: number }>((resolve, reject) => {
              setTimeout(() => reject(new Error('no patch delivered within 15 s')), 15_000);
              window.patchbayApp!.onOpenPatch((p) => resolve({ path: p.path, length: p.contents.length }));
            }),
        );
        expect(opened.path).toBe(patchPath);
        expect(opened.length).toBe(readFileSync(patchPath, 'utf8').length);

        // Navigation to another origin stays out of the app window.
        const before = page.url();
        await page.evaluate(() => {
          window.location.href = 'file:///etc/hostname';
        });
        await page.waitForTimeout(500);
        expect(page.url()).toBe(before);

        mkdirSync(join(root, 'test-results'), { recursive: true });
        const shot = await page.screenshot({ path: join(root, 'test-results', 'app-smoke.png') });
        expect(shot.byteLength).toBeGreaterThan(1_000);
      } finally {
        await app.close().catch(() => undefined);
        x?.proc.kill();
        rmSync(work, { recursive: true, force: true });
      }
    }, 180_000);
  },
);
