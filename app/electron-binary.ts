/**
 * Finding an Electron binary without the `electron` npm package's help (its postinstall download
 * fails where GitHub releases are out of reach, and npm then leaves the optional package out).
 * Used by `npm run app` and the e2e smoke test. Looks, in order, at ELECTRON_OVERRIDE_DIST_PATH
 * (a folder holding an unpacked Electron, as the electron package itself honours it) and
 * node_modules/electron (path.txt names the binary inside its dist/ folder).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The outcome of a lookup. */
export type ElectronLookup = { found: true; path: string; source: string } | { found: false; reason: string };

/** File system access, injected for tests. */
export interface LookupFs {
  exists(path: string): boolean;
  readText(path: string): string | null;
}

const realFs: LookupFs = {
  exists: existsSync,
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
};

/** The binary's path inside an Electron dist folder, per platform (as electron's index.js has it). */
export function binaryInDist(platform: string): string {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

/** Looks for an Electron binary; never throws. */
export function findElectronBinary(
  root: string,
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
  fs: LookupFs = realFs,
): ElectronLookup {
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, binaryInDist(platform));
    if (fs.exists(path)) return { found: true, path, source: 'ELECTRON_OVERRIDE_DIST_PATH' };
    return {
      found: false,
      reason: `ELECTRON_OVERRIDE_DIST_PATH is set to ${override}, but ${path} does not exist`,
    };
  }
  const pkg = join(root, 'node_modules', 'electron');
  if (!fs.exists(join(pkg, 'package.json'))) {
    return {
      found: false,
      reason: 'the optional "electron" package is not installed (its binary download failed or was skipped)',
    };
  }
  const relative = fs.readText(join(pkg, 'path.txt'))?.trim();
  const path = relative ? join(pkg, 'dist', relative) : null;
  if (path && fs.exists(path)) return { found: true, path, source: 'node_modules/electron' };
  return {
    found: false,
    reason:
      'node_modules/electron is installed without its binary (ELECTRON_SKIP_BINARY_DOWNLOAD, or the download failed)',
  };
}

/** The message `npm run app` prints when no binary is found. */
export function missingElectronHelp(reason: string): string {
  return [
    `Patchbay desktop app: no Electron binary found — ${reason}.`,
    '',
    'Electron is an optional dependency: its install script downloads the binary from GitHub',
    'releases, which fails on machines without that access, and npm then leaves it out.',
    'To get it, either:',
    '  1. with network access to GitHub:   npm install electron',
    '     (or, after a skipped download: node node_modules/electron/install.js)',
    '  2. point at an Electron you already have, unpacked (a release zip from',
    '     electron/electron on GitHub, the same major version as package.json says):',
    '       ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron-dist npm run app',
    '',
    'Without Electron, run the same editor in a browser: npm start',
  ].join('\n');
}
