import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { Display } from './electron-types';
import {
  addRecentFile,
  defaultSettings,
  loadSettings,
  pickOutputDisplay,
  removeRecentFile,
  restoreWindowBounds,
  saveSettings,
} from './settings';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchbay-app-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const laptop: Display = {
  id: 1,
  label: 'Built-in',
  bounds: { x: 0, y: 0, width: 1440, height: 900 },
  workArea: { x: 0, y: 25, width: 1440, height: 875 },
  scaleFactor: 2,
};
const projector: Display = {
  id: 2,
  label: 'Projector',
  bounds: { x: 1440, y: 0, width: 1920, height: 1080 },
  workArea: { x: 1440, y: 0, width: 1920, height: 1080 },
  scaleFactor: 1,
};

describe('settings file', () => {
  it('gives defaults on first launch and round-trips', async () => {
    const p = join(dir, 'settings.json');
    expect(await loadSettings(p)).toEqual({ settings: defaultSettings(), warning: null });
    const s = {
      ...defaultSettings(),
      recentFiles: ['/a.patch'],
      window: { bounds: { x: 1, y: 2, width: 800, height: 600 }, maximized: true },
    };
    await saveSettings(p, s);
    expect((await loadSettings(p)).settings).toEqual(s);
  });

  it('sets a damaged file aside with a warning naming the problem', async () => {
    const p = join(dir, 'settings.json');
    await writeFile(
      p,
      JSON.stringify({
        version: 1,
        window: null,
        recentFiles: 'nope',
        outputDisplayId: null,
        cameraAccessAsked: false,
      }),
    );
    const { settings, warning } = await loadSettings(p);
    expect(settings).toEqual(defaultSettings());
    expect(warning).toMatch(/damaged \(recentFiles: .*\); set aside as .*settings.json.bad/);
    expect(await readFile(`${p}.bad`, 'utf8')).toContain('nope');
    await writeFile(p, '{not json');
    expect((await loadSettings(p)).warning).toMatch(/not JSON/);
  });
});

describe('recent files', () => {
  it('puts the newest first, without duplicates, capped', () => {
    let list: string[] = [];
    for (let i = 0; i < 12; i++) list = addRecentFile(list, `/p${i}.patch`);
    list = addRecentFile(list, '/p5.patch');
    expect(list[0]).toBe('/p5.patch');
    expect(list).toHaveLength(10);
    expect(new Set(list).size).toBe(10);
    expect(removeRecentFile(list, '/p5.patch')).not.toContain('/p5.patch');
  });
});

describe('restoreWindowBounds', () => {
  it('keeps bounds that are on a display', () => {
    expect(restoreWindowBounds({ x: 100, y: 100, width: 1000, height: 700 }, [laptop])).toEqual({
      x: 100,
      y: 100,
      width: 1000,
      height: 700,
    });
  });

  it('forgets bounds on a display that is gone (last night’s projector)', () => {
    expect(restoreWindowBounds({ x: 2000, y: 100, width: 1000, height: 700 }, [laptop])).toBeNull();
  });

  it('pulls a mostly-off-screen window back and shrinks it to fit', () => {
    expect(restoreWindowBounds({ x: 1300, y: 0, width: 3000, height: 2000 }, [laptop])).toEqual({
      x: 0,
      y: 25,
      width: 1440,
      height: 875,
    });
  });

  it('picks the display showing most of the window', () => {
    expect(restoreWindowBounds({ x: 1400, y: 100, width: 1000, height: 700 }, [laptop, projector])).toEqual({
      x: 1440,
      y: 100,
      width: 1000,
      height: 700,
    });
  });

  it('handles nothing saved', () => {
    expect(restoreWindowBounds(null, [laptop])).toBeNull();
  });
});

describe('pickOutputDisplay', () => {
  it('prefers the saved display, then one that is not the editor’s, then any', () => {
    expect(pickOutputDisplay([laptop, projector], 1, 1)?.id).toBe(1);
    expect(pickOutputDisplay([laptop, projector], 99, 1)?.id).toBe(2);
    expect(pickOutputDisplay([laptop], null, 1)?.id).toBe(1);
    expect(pickOutputDisplay([], null, null)).toBeNull();
  });
});
