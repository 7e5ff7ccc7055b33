/**
 * The slice of Electron's API that the app's plain modules use, declared here so that `tsc`,
 * the unit tests and `npm install` all work without the `electron` package (its binary download
 * fails on machines without access to GitHub releases). The shapes follow Electron's own
 * typings; only the fields Patchbay reads or sets are listed. Only main.ts and preload.ts load
 * the real module.
 */

/** Electron's `Rectangle`. */
export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Electron's `Display` (from `screen.getAllDisplays()`). */
export interface Display {
  id: number;
  label?: string;
  bounds: Rectangle;
  workArea: Rectangle;
  scaleFactor: number;
  internal?: boolean;
}

/** Electron's `WebPreferences`, the security-relevant part. */
export interface WebPreferences {
  preload?: string;
  contextIsolation?: boolean;
  sandbox?: boolean;
  nodeIntegration?: boolean;
  nodeIntegrationInWorker?: boolean;
  nodeIntegrationInSubFrames?: boolean;
  webSecurity?: boolean;
  allowRunningInsecureContent?: boolean;
  webviewTag?: boolean;
  navigateOnDragDrop?: boolean;
  experimentalFeatures?: boolean;
  enableBlinkFeatures?: string;
  spellcheck?: boolean;
  backgroundThrottling?: boolean;
  devTools?: boolean;
  safeDialogs?: boolean;
  javascript?: boolean;
  autoplayPolicy?: 'no-user-gesture-required' | 'user-gesture-required' | 'document-user-activation-required';
}

/** Electron's `BrowserWindowConstructorOptions`, the part Patchbay sets. */
export interface BrowserWindowConstructorOptions {
  title?: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  minWidth?: number;
  minHeight?: number;
  show?: boolean;
  fullscreen?: boolean;
  frame?: boolean;
  autoHideMenuBar?: boolean;
  backgroundColor?: string;
  webPreferences?: WebPreferences;
}

/** Electron's `MenuItemConstructorOptions`, the part Patchbay builds. */
export interface MenuItemConstructorOptions {
  id?: string;
  label?: string;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox' | 'radio';
  role?: string;
  accelerator?: string;
  enabled?: boolean;
  checked?: boolean;
  click?: () => void;
  submenu?: MenuItemConstructorOptions[];
}

/** Electron's `OpenDialogOptions`, the part Patchbay sets. */
export interface FileFilter {
  name: string;
  extensions: string[];
}

/** Electron's `OpenDialogOptions`. */
export interface OpenDialogOptions {
  title?: string;
  defaultPath?: string;
  filters?: FileFilter[];
  properties?: Array<'openFile' | 'openDirectory' | 'multiSelections'>;
}

/** Electron's `SaveDialogOptions`. */
export interface SaveDialogOptions {
  title?: string;
  defaultPath?: string;
  filters?: FileFilter[];
}

/** What `dialog.showOpenDialog` resolves to. */
export interface OpenDialogReturnValue {
  canceled: boolean;
  filePaths: string[];
}

/** What `dialog.showSaveDialog` resolves to. */
export interface SaveDialogReturnValue {
  canceled: boolean;
  filePath?: string;
}

/** The part of Electron's `IpcMainInvokeEvent` the handlers read to check who is calling. */
export interface IpcMainInvokeEvent {
  senderFrame?: { url: string } | null;
  sender?: { getURL(): string };
}

/** Electron's permission names the app decides on (a subset; others are refused). */
export type PermissionName = string;

/** Details passed to the permission request handler (subset). */
export interface PermissionRequestDetails {
  requestingUrl?: string;
  mediaTypes?: Array<'video' | 'audio'>;
}
