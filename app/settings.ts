/**
 * The app's own small state between launches: window bounds, recent files, the chosen output
 * display, whether the camera prompt was shown. One JSON file in Electron's userData folder,
 * validated on load (a damaged file is set aside and defaults are used, never a crash) and
 * written atomically.
 */
import { readFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import type { Display, Rectangle } from './electron-types';
import { writeFileAtomic } from './files';

export const MAX_RECENT_FILES = 10;

const rectangle = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});

const settingsSchema = z.object({
  version: z.literal(1),
  window: z.object({ bounds: rectangle, maximized: z.boolean() }).nullable(),
  recentFiles: z.array(z.string().min(1)).max(100),
  outputDisplayId: z.number().int().nullable(),
  cameraAccessAsked: z.boolean(),
});

/** What is kept between launches. */
export type AppSettings = z.infer<typeof settingsSchema>;

/** The settings of a first launch. */
export function defaultSettings(): AppSettings {
  return { version: 1, window: null, recentFiles: [], outputDisplayId: null, cameraAccessAsked: false };
}

/**
 * Loads settings from `path`. A missing file gives defaults; an unreadable or invalid one is
 * renamed to `<path>.bad` (so the user can inspect it) and defaults are used, with a warning.
 */
export async function loadSettings(path: string): Promise<{ settings: AppSettings; warning: string | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { settings: defaultSettings(), warning: null };
    return {
      settings: defaultSettings(),
      warning: `settings could not be read: ${(error as Error).message}`,
    };
  }
  let problem: string;
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { settings: parsed.data, warning: null };
    const issue = parsed.error.issues[0];
    problem = `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`;
  } catch (error) {
    problem = `not JSON (${(error as Error).message})`;
  }
  await rename(path, `${path}.bad`).catch(() => undefined);
  return {
    settings: defaultSettings(),
    warning: `settings file was damaged (${problem}); set aside as ${path}.bad`,
  };
}

/** Saves settings atomically. */
export async function saveSettings(path: string, settings: AppSettings): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(settings, null, 2) + '\n');
}

/** Puts `path` first in the recent list, without duplicates, at most `max` entries. */
export function addRecentFile(list: readonly string[], path: string, max = MAX_RECENT_FILES): string[] {
  return [path, ...list.filter((p) => p !== path)].slice(0, max);
}

/** Removes a path from the recent list (it was moved or deleted). */
export function removeRecentFile(list: readonly string[], path: string): string[] {
  return list.filter((p) => p !== path);
}

/** The smallest part of a window that must be on a screen for its saved position to be kept. */
const MIN_VISIBLE = { width: 120, height: 60 };

/**
 * The bounds to reopen the window with: the saved ones when enough of the window is on a
 * display that still exists (the projector from last night may be gone), shrunk to fit that
 * display; otherwise null, meaning "default size, centred".
 */
export function restoreWindowBounds(
  saved: Rectangle | null | undefined,
  displays: readonly Display[],
): Rectangle | null {
  if (!saved) return null;
  let best: { area: number; display: Display } | null = null;
  for (const display of displays) {
    const overlap = intersect(saved, display.workArea);
    if (!overlap || overlap.width < MIN_VISIBLE.width || overlap.height < MIN_VISIBLE.height) continue;
    const area = overlap.width * overlap.height;
    if (!best || area > best.area) best = { area, display };
  }
  if (!best) return null;
  const area = best.display.workArea;
  const width = Math.min(saved.width, area.width);
  const height = Math.min(saved.height, area.height);
  const x = Math.min(Math.max(saved.x, area.x), area.x + area.width - width);
  const y = Math.min(Math.max(saved.y, area.y), area.y + area.height - height);
  return { x, y, width, height };
}

function intersect(a: Rectangle, b: Rectangle): Rectangle | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/**
 * The display to put the output window on: the one chosen last time if it is still connected,
 * else the first display that is not the one showing the editor (the projector), else the
 * editor's own.
 */
export function pickOutputDisplay(
  displays: readonly Display[],
  preferredId: number | null,
  editorDisplayId: number | null,
): Display | null {
  if (displays.length === 0) return null;
  const preferred = displays.find((d) => d.id === preferredId);
  if (preferred) return preferred;
  return displays.find((d) => d.id !== editorDisplayId) ?? displays[0]!;
}
