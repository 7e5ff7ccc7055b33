/**
 * The contract between the editor (renderer) and the desktop shell: what the preload script
 * exposes as `window.patchbayApp`, and the IPC channel names behind it. The editor checks for
 * `window.patchbayApp` and uses it when present (in a plain browser it is absent). This file is
 * types and constants only, so the editor may import it without pulling in Node or Electron.
 */

/** A patch handed to the editor: opened from a dialog, the OS (open-with) or the recent list. */
export interface OpenedPatch {
  path: string;
  contents: string;
}

/** What `saveFile` resolves to. */
export type SaveResult = { saved: true; path: string } | { saved: false; reason: 'canceled' };

/** What may be saved through `saveFile`: a patch (default) or an exported Scope workflow. */
export type SaveKind = 'patch' | 'scope-workflow';

/** A display the output window can be put on. */
export interface DisplayInfo {
  id: number;
  label: string;
  width: number;
  height: number;
  scaleFactor: number;
  primary: boolean;
}

/**
 * Menu commands the shell sends to the editor through `onMenu(cb)`; the rest of the menu
 * (opening files, the output window, help) is handled by the shell itself.
 * - `file.new`, `file.save`, `file.save-as`, `file.export-scope-workflow`: no argument; the editor
 *   answers a save with `saveFile(currentPath, contents)` (`null` asks for a path).
 * - `file.import-scope-workflow`, `file.import-scope-timeline`: the argument is an
 *   `OpenedPatch`-shaped `{path, contents}` of the chosen JSON file.
 * - `edit.undo`, `edit.redo`: the editor's own history (inputs keep their native undo).
 * - `app.flush`: the app is quitting: save the autosave, close the streams, then call `flushDone()`.
 */
export const EDITOR_COMMANDS = [
  'file.new',
  'file.save',
  'file.save-as',
  'file.export-scope-workflow',
  'file.import-scope-workflow',
  'file.import-scope-timeline',
  'edit.undo',
  'edit.redo',
  'app.flush',
] as const;

/** A command id the editor receives. */
export type EditorCommandId = (typeof EDITOR_COMMANDS)[number];

/** The API the preload exposes as `window.patchbayApp`. */
export interface PatchbayAppApi {
  /** Contract version; bumped on incompatible changes. */
  readonly apiVersion: 1;
  /** `process.platform` of the shell ('darwin', 'win32', 'linux'). */
  readonly platform: string;
  /** Shows the open dialog; resolves the chosen patch, or null when canceled. */
  openFile(): Promise<OpenedPatch | null>;
  /**
   * Saves `contents`. `path` must be one the shell handed out (opened or saved before); `null`
   * shows the save dialog (Save As). Rejects with a message naming the file on failure.
   */
  saveFile(path: string | null, contents: string, kind?: SaveKind): Promise<SaveResult>;
  /** Subscribes to menu commands; returns the unsubscribe function. */
  onMenu(callback: (commandId: EditorCommandId, arg: unknown) => void): () => void;
  /**
   * Subscribes to patches opened by the shell (open-with, second launch, recent files, the
   * File › Open menu). Files that arrived before the first subscription are delivered then.
   */
  onOpenPatch(callback: (patch: OpenedPatch) => void): () => void;
  /** The connected displays, for choosing where the output goes. */
  listDisplays(): Promise<DisplayInfo[]>;
  /** Opens the fullscreen output window on a display (null: close it). */
  openOutputWindow(displayId: number | null): Promise<void>;
  /** Tells the shell the editor has flushed its autosave after an `app.flush` command. */
  flushDone(): void;
}

/** IPC channels behind the API (invoke = request/response, send = one-way). */
export const IPC_CHANNELS = {
  openFile: 'patchbay:open-file',
  saveFile: 'patchbay:save-file',
  listDisplays: 'patchbay:list-displays',
  openOutputWindow: 'patchbay:open-output-window',
  flushDone: 'patchbay:flush-done',
  /** Renderer → main: the editor subscribed to onOpenPatch; queued files may be sent. */
  readyForFiles: 'patchbay:ready-for-files',
  /** Main → renderer. */
  menu: 'patchbay:menu',
  openPatch: 'patchbay:open-patch',
} as const;

declare global {
  interface Window {
    /** Present when the editor runs inside the Patchbay desktop app. */
    patchbayApp?: PatchbayAppApi;
  }
}
