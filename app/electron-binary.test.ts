import { describe, it, expect } from 'vitest';
import { binaryInDist, findElectronBinary, missingElectronHelp, type LookupFs } from './electron-binary';

function fakeFs(files: Record<string, string>): LookupFs {
  return { exists: (p) => p in files, readText: (p) => files[p] ?? null };
}

describe('findElectronBinary', () => {
  it('prefers ELECTRON_OVERRIDE_DIST_PATH, with the per-platform binary name', () => {
    const fs = fakeFs({
      '/opt/el/electron': '',
      '/opt/el/electron.exe': '',
      '/opt/el/Electron.app/Contents/MacOS/Electron': '',
    });
    for (const platform of ['linux', 'win32', 'darwin']) {
      expect(findElectronBinary('/r', { ELECTRON_OVERRIDE_DIST_PATH: '/opt/el' }, platform, fs)).toEqual({
        found: true,
        path: `/opt/el/${binaryInDist(platform)}`,
        source: 'ELECTRON_OVERRIDE_DIST_PATH',
      });
    }
  });

  it('says which override path is wrong', () => {
    const result = findElectronBinary('/r', { ELECTRON_OVERRIDE_DIST_PATH: '/nowhere' }, 'linux', fakeFs({}));
    expect(result).toEqual({
      found: false,
      reason: 'ELECTRON_OVERRIDE_DIST_PATH is set to /nowhere, but /nowhere/electron does not exist',
    });
  });

  it('uses node_modules/electron/path.txt', () => {
    const fs = fakeFs({
      '/r/node_modules/electron/package.json': '{}',
      '/r/node_modules/electron/path.txt': 'electron\n',
      '/r/node_modules/electron/dist/electron': '',
    });
    expect(findElectronBinary('/r', {}, 'linux', fs)).toEqual({
      found: true,
      path: '/r/node_modules/electron/dist/electron',
      source: 'node_modules/electron',
    });
  });

  it('explains a missing package and a package without its binary', () => {
    expect(findElectronBinary('/r', {}, 'linux', fakeFs({}))).toMatchObject({
      found: false,
      reason: expect.stringMatching(/not installed/),
    });
    const noBinary = fakeFs({ '/r/node_modules/electron/package.json': '{}' });
    expect(findElectronBinary('/r', {}, 'linux', noBinary)).toMatchObject({
      found: false,
      reason: expect.stringMatching(/without its binary/),
    });
  });

  it('the help names both ways to get Electron', () => {
    const help = missingElectronHelp('x');
    expect(help).toContain('npm install electron');
    expect(help).toContain('ELECTRON_OVERRIDE_DIST_PATH=');
  });
});
