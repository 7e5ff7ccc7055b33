/**
 * Reading and writing the files the app opens and saves: `.patch` files and Scope workflow /
 * timeline imports. Reads are size-capped and must be UTF-8 text; writes are atomic (a temporary
 * file renamed over the target), so a crash or a power cut mid-save never leaves half a patch.
 * Validating a patch's contents is the editor's job (it has the schema and the migrations).
 */
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { FileFilter } from './electron-types';
import type { SaveKind } from './preload-api';

export const PATCH_EXTENSION = '.patch';
/** Large enough for any real patch (with embedded prompt timelines), small enough to refuse a video. */
export const MAX_PATCH_BYTES = 16 * 1024 * 1024;

/** A file the app read, as handed to the editor. */
export interface LoadedFile {
  path: string;
  contents: string;
}

/** Dialog filters per kind of file. */
export const FILE_FILTERS: Readonly<Record<SaveKind | 'scope-import', readonly FileFilter[]>> = {
  patch: [{ name: 'Patchbay patch', extensions: ['patch'] }],
  'scope-workflow': [{ name: 'Scope workflow', extensions: ['json'] }],
  'scope-import': [{ name: 'Scope workflow or timeline', extensions: ['json'] }],
};

/** The extension a saved file of this kind must carry. */
export function extensionFor(kind: SaveKind): string {
  return kind === 'patch' ? PATCH_EXTENSION : '.json';
}

/**
 * Adds the kind's extension to a path chosen in a save dialog when it lacks it (Linux dialogs
 * do not add it themselves): `show` → `show.patch`, `show.patch` stays.
 */
export function withExtension(path: string, kind: SaveKind): string {
  const ext = extensionFor(kind);
  return extname(path).toLowerCase() === ext ? path : path + ext;
}

/** An error about a file, naming the file and what is wrong with it. */
export class FileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${basename(path)}: ${message}`);
    this.name = 'FileError';
  }
}

/**
 * Reads a text file for the editor: refuses directories, files over `maxBytes` and content that
 * is not UTF-8 text, each with a message that names the file.
 */
export async function readTextFile(path: string, maxBytes = MAX_PATCH_BYTES): Promise<LoadedFile> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(
      path,
      code === 'ENOENT' ? 'the file does not exist' : `cannot be read (${code ?? 'error'})`,
    );
  }
  if (!info.isFile()) throw new FileError(path, 'is not a file');
  if (info.size > maxBytes) {
    throw new FileError(
      path,
      `is ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} a patch may be`,
    );
  }
  const handle = await open(path, 'r');
  let bytes: Buffer;
  try {
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  let contents: string;
  try {
    contents = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FileError(path, 'is not a text file (not valid UTF-8)');
  }
  if (contents.includes('\u0000')) throw new FileError(path, 'is not a text file (contains NUL bytes)');
  return { path, contents };
}

/**
 * Writes `contents` to `path` atomically: a temporary file in the same folder, flushed to disk,
 * then renamed over the target. On failure the old file is untouched and the temporary removed.
 */
export async function writeFileAtomic(path: string, contents: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(contents, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(path, `could not be saved (${code ?? (error as Error).message})`);
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

/**
 * The paths the renderer may write to: only those the user chose (an open or save dialog, a file
 * opened from the OS). A compromised or buggy renderer therefore cannot overwrite an arbitrary
 * file by passing its path to `saveFile`.
 */
export class PathGrants {
  private readonly granted = new Set<string>();

  /** Records a path the user picked. */
  grant(path: string): void {
    this.granted.add(path);
  }

  /** Whether the renderer may save to this path without a dialog. */
  has(path: string): boolean {
    return this.granted.has(path);
  }
}
