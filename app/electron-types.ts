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

/* ---- The main-process module, as main.ts uses it ---- */

/** A minimal event with preventDefault. */
export interface ElectronEvent {
  preventDefault(): void;
}

/** Electron's `WebContents` (subset). */
export interface WebContents {
  id: number;
  send(channel: string, ...args: unknown[]): void;
  getURL(): string;
  isLoading(): boolean;
  openDevTools(options?: { mode: 'detach' | 'right' | 'bottom' }): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: ElectronEvent, url: string) => void): void;
  on(event: 'will-attach-webview', listener: (event: ElectronEvent) => void): void;
  on(event: 'did-navigate', listener: (event: ElectronEvent, url: string) => void): void;
  on(
    event: 'render-process-gone',
    listener: (event: ElectronEvent, details: { reason: string; exitCode: number }) => void,
  ): void;
}

/** Electron's `BrowserWindow` instance (subset). */
export interface BrowserWindowInstance {
  webContents: WebContents;
  loadURL(url: string): Promise<void>;
  show(): void;
  hide(): void;
  focus(): void;
  close(): void;
  destroy(): void;
  restore(): void;
  maximize(): void;
  isMinimized(): boolean;
  isMaximized(): boolean;
  isDestroyed(): boolean;
  isVisible(): boolean;
  getNormalBounds(): Rectangle;
  getBounds(): Rectangle;
  setBounds(bounds: Partial<Rectangle>): void;
  setFullScreen(flag: boolean): void;
  once(event: 'ready-to-show', listener: () => void): void;
  on(event: 'close' | 'closed' | 'show' | 'hide', listener: (event: ElectronEvent) => void): void;
}

/** Electron's `Tray` instance (subset). */
export interface TrayInstance {
  setToolTip(text: string): void;
  setContextMenu(menu: unknown): void;
  destroy(): void;
}

/** Electron's `BrowserWindow` class. */
export interface BrowserWindowClass {
  new (options: BrowserWindowConstructorOptions): BrowserWindowInstance;
}

/** Electron's `app` (subset). */
export interface ElectronApp {
  isPackaged: boolean;
  whenReady(): Promise<void>;
  quit(): void;
  exit(code?: number): void;
  setName(name: string): void;
  getName(): string;
  getPath(name: 'userData' | 'appData' | 'documents' | 'logs'): string;
  setPath(name: 'userData', path: string): void;
  requestSingleInstanceLock(additionalData?: Record<string, unknown>): boolean;
  addRecentDocument(path: string): void;
  clearRecentDocuments(): void;
  on(
    event: 'second-instance',
    listener: (event: ElectronEvent, argv: string[], cwd: string, data: unknown) => void,
  ): void;
  on(event: 'open-file', listener: (event: ElectronEvent, path: string) => void): void;
  on(event: 'before-quit', listener: (event: ElectronEvent) => void): void;
  on(event: 'window-all-closed' | 'activate', listener: () => void): void;
  on(event: 'web-contents-created', listener: (event: ElectronEvent, contents: WebContents) => void): void;
}

/** Electron's `Session` (subset). */
export interface Session {
  setPermissionRequestHandler(
    handler: (
      contents: WebContents,
      permission: string,
      callback: (granted: boolean) => void,
      details: PermissionRequestDetails,
    ) => void,
  ): void;
  setPermissionCheckHandler(
    handler: (
      contents: WebContents | null,
      permission: string,
      requestingOrigin: string,
      details: PermissionRequestDetails,
    ) => boolean,
  ): void;
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { url: string; responseHeaders?: Record<string, string[] | string> },
        callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void,
      ) => void,
    ): void;
  };
}

/** Electron's `utilityProcess` child (subset). */
export interface UtilityProcessChild {
  pid?: number;
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): void;
}

/** The `electron` module in the main process, as main.ts uses it. */
export interface ElectronMainModule {
  app: ElectronApp;
  BrowserWindow: BrowserWindowClass;
  Menu: {
    buildFromTemplate(template: MenuItemConstructorOptions[]): unknown;
    setApplicationMenu(menu: unknown): void;
  };
  Tray: new (image: unknown) => TrayInstance;
  nativeImage: { createFromDataURL(url: string): unknown };
  dialog: {
    showOpenDialog(window: BrowserWindowInstance, options: OpenDialogOptions): Promise<OpenDialogReturnValue>;
    showSaveDialog(window: BrowserWindowInstance, options: SaveDialogOptions): Promise<SaveDialogReturnValue>;
    showErrorBox(title: string, content: string): void;
  };
  shell: { openExternal(url: string): Promise<void>; openPath(path: string): Promise<string> };
  screen: {
    getAllDisplays(): Display[];
    getPrimaryDisplay(): Display;
    getDisplayMatching(rect: Rectangle): Display;
  };
  ipcMain: {
    handle(
      channel: string,
      handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>,
    ): void;
    on(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => void): void;
  };
  session: { defaultSession: Session };
  systemPreferences: {
    getMediaAccessStatus?(mediaType: 'camera' | 'microphone'): string;
    askForMediaAccess?(mediaType: 'camera' | 'microphone'): Promise<boolean>;
  };
  utilityProcess: {
    fork(
      modulePath: string,
      args: string[],
      options: { env?: Record<string, string>; cwd?: string; stdio?: 'pipe'; serviceName?: string },
    ): UtilityProcessChild;
  };
}

/** The `electron` module in a (sandboxed) preload script. */
export interface ElectronPreloadModule {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    send(channel: string, ...args: unknown[]): void;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  };
}
