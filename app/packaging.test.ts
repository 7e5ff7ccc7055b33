import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';

// No YAML parser is a dependency; these checks read the lines that matter.
const yml = readFileSync(fileURLToPath(new URL('./electron-builder.yml', import.meta.url)), 'utf8');
const main = readFileSync(fileURLToPath(new URL('./main.ts', import.meta.url)), 'utf8');
const line = (re: RegExp) => expect(yml).toMatch(re);

describe('electron-builder.yml', () => {
  it('names the app and associates .patch files', () => {
    line(/^appId: org\.patchbay\.desktop$/m);
    line(/^productName: Patchbay$/m);
    line(/^fileAssociations:\n {2}- ext: patch\n/m);
    line(/mimeType: application\/x-patchbay-patch/);
  });

  it('builds AppImage and deb, NSIS, and dmg', () => {
    line(/^linux:\n {2}target:\n {4}- AppImage\n {4}- deb$/m);
    line(/^win:\n {2}target:\n {4}- nsis$/m);
    line(/^mac:\n {2}target:\n {4}- dmg$/m);
  });

  it('starts from the bundled main and ships the preload', () => {
    line(/^extraMetadata:\n {2}main: app\/dist\/main\.cjs$/m);
    line(/^ {2}- app\/dist\/preload\.cjs$/m);
  });

  it('unpacks the runtime where main.ts looks for it', () => {
    expect(main).toContain("'app.asar.unpacked'");
    for (const dir of ['bin', 'runtime', 'nodes', 'patches', 'node_modules']) {
      expect(yml.split('asarUnpack:')[1]).toMatch(new RegExp(`^ {2}- ${dir}/\\*\\*$`, 'm'));
    }
  });

  it('flips the fuses off that the app does not need, and asks for the camera on macOS', () => {
    line(/^ {2}runAsNode: false$/m);
    line(/^ {2}enableNodeOptionsEnvironmentVariable: false$/m);
    line(/^ {2}enableNodeCliInspectArguments: false$/m);
    line(/^ {2}onlyLoadAppFromAsar: true$/m);
    line(/NSCameraUsageDescription: .+/);
  });
});
