/**
 * The File menu's and the editor's file operations, on top of injected dialogs: open (dialog,
 * path from the OS, recent list), save and save-as with the path grants, Scope imports. Both the
 * menu handlers and the IPC handlers go through here, so the rules are the same either way.
 */
import { dirname, join } from 'node:path';
import type {
  OpenDialogOptions,
  OpenDialogReturnValue,
  SaveDialogOptions,
  SaveDialogReturnValue,
} from './electron-types';
import {
  FILE_FILTERS,
  FileError,
  PathGrants,
  readTextFile,
  withExtension,
  writeFileAtomic,
  type LoadedFile,
} from './files';
import type { SaveKind, SaveResult } from './preload-api';

/** The dialogs and hooks the service needs (Electron's `dialog`, bound to the editor window). */
export interface FileServiceDeps {
  showOpenDialog(options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
  showSaveDialog(options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
  /** A patch was opened or saved: it goes to the top of the recent list. */
  onRecent(path: string): void;
  /** A recent entry could not be opened (moved, deleted): it leaves the list. */
  onRecentMissing(path: string): void;
  /** Folder for the first dialog (Documents). */
  defaultDirectory: string;
  readFile?: (path: string) => Promise<LoadedFile>;
  writeFile?: (path: string, contents: string) => Promise<void>;
}

/** Which Scope file an import reads. */
export type ScopeImportKind = 'workflow' | 'timeline';

/** See the module comment. */
export class FileService {
  readonly grants = new PathGrants();
  private lastDirectory: string;
  private readonly read: (path: string) => Promise<LoadedFile>;
  private readonly write: (path: string, contents: string) => Promise<void>;

  constructor(private readonly deps: FileServiceDeps) {
    this.lastDirectory = deps.defaultDirectory;
    this.read = deps.readFile ?? ((path) => readTextFile(path));
    this.write = deps.writeFile ?? writeFileAtomic;
  }

  /** File › Open: the dialog, then the file; null when canceled. */
  async openWithDialog(): Promise<LoadedFile | null> {
    const result = await this.deps.showOpenDialog({
      title: 'Open patch',
      defaultPath: this.lastDirectory,
      filters: [...FILE_FILTERS.patch],
      properties: ['openFile'],
    });
    const path = result.filePaths[0];
    if (result.canceled || !path) return null;
    return this.openPath(path);
  }

  /** Opens a path the user chose outside a dialog (open-with, second launch, recent). */
  async openPath(path: string, fromRecent = false): Promise<LoadedFile> {
    let file: LoadedFile;
    try {
      file = await this.read(path);
    } catch (error) {
      if (fromRecent && error instanceof FileError && /does not exist/.test(error.message)) {
        this.deps.onRecentMissing(path);
      }
      throw error;
    }
    this.grants.grant(path);
    this.lastDirectory = dirname(path);
    this.deps.onRecent(path);
    return file;
  }

  /**
   * Saves for the editor. A given path must be one the user chose before (see PathGrants);
   * null shows the save dialog. Patches go to the recent list; exports do not.
   */
  async save(path: string | null, contents: string, kind: SaveKind = 'patch'): Promise<SaveResult> {
    let target: string;
    if (path !== null) {
      if (!this.grants.has(path)) {
        throw new FileError(path, 'was not opened or saved through Patchbay in this session; use Save As');
      }
      target = withExtension(path, kind);
      if (target !== path)
        throw new FileError(path, `a ${kind} must be saved with the ${target.slice(path.length)} extension`);
    } else {
      const result = await this.deps.showSaveDialog({
        title: kind === 'patch' ? 'Save patch' : 'Export Scope workflow',
        defaultPath: join(this.lastDirectory, kind === 'patch' ? 'untitled.patch' : 'workflow.json'),
        filters: [...FILE_FILTERS[kind]],
      });
      if (result.canceled || !result.filePath) return { saved: false, reason: 'canceled' };
      target = withExtension(result.filePath, kind);
      this.grants.grant(target);
    }
    await this.write(target, contents);
    this.lastDirectory = dirname(target);
    if (kind === 'patch') this.deps.onRecent(target);
    return { saved: true, path: target };
  }

  /** File › Import › Scope workflow/timeline: the chosen JSON file's text, or null when canceled. */
  async importScope(kind: ScopeImportKind): Promise<LoadedFile | null> {
    const result = await this.deps.showOpenDialog({
      title: kind === 'workflow' ? 'Import Scope workflow' : 'Import Scope timeline',
      defaultPath: this.lastDirectory,
      filters: [...FILE_FILTERS['scope-import']],
      properties: ['openFile'],
    });
    const path = result.filePaths[0];
    if (result.canceled || !path) return null;
    const file = await this.read(path);
    this.lastDirectory = dirname(path);
    return file;
  }
}
