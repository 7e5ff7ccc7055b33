/**
 * The Electron main process: wires the plain modules of this folder to Electron. All decisions
 * live in those modules (and their tests); this file only connects events to them. Bundled to
 * app/dist/main.cjs by app/scripts/build-app.mjs; never imported by tests.
 */
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { leadingArgvEntries, parseAppArgs } from './args';
import type {
  BrowserWindowInstance,
  Display,
  ElectronMainModule,
  ElectronEvent,
  TrayInstance,
  WebContents,
} from './electron-types';
import { FileService } from './file-service';
import { createIpcHandlers } from './ipc';
import {
  FileHandOver,
  QuitCoordinator,
  filesFromSecondInstance,
  shouldAskCameraAccess,
  type MediaAccessStatus,
} from './lifecycle';
import { buildMenuModel, toElectronTemplate, type MenuCommandId } from './menu';
import { IPC_CHANNELS, type DisplayInfo, type EditorCommandId } from './preload-api';
import {
  findFreePort,
  probeHealth,
  runtimeCommand,
  spawnChild,
  type RuntimeCommandSpec,
} from './runtime-process';
import {
  RuntimeStartError,
  RuntimeSupervisor,
  type ChildHandle,
  type SupervisorState,
} from './runtime-supervisor';
import {
  decideNavigation,
  decidePermission,
  decideWindowOpen,
  mainWindowOptions,
  originOf,
  outputWindowOptions,
  startupErrorWindowOptions,
  withContentSecurityPolicy,
  type AppAction,
} from './security';
import {
  addRecentFile,
  loadSettings,
  pickOutputDisplay,
  removeRecentFile,
  restoreWindowBounds,
  saveSettings,
  type AppSettings,
} from './settings';
import { startupErrorPageUrl } from './startup-error-page';
import { TRAY_ICON_DATA_URL, trayModel, type TrayCommand } from './tray';
import { logsPageUrl, readRecentLogLines } from './logs-view';
import { decideUpdates, startAutoUpdate, type Updater } from './updates';
import { createLogger, forwardLine, humanLine, logsDir, type PatchbayLogger } from '../runtime/logging';

// The only place (with preload.ts) that loads Electron. `require` keeps tsc independent of the
// optional `electron` package; the bundler leaves it external.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const electron = require('electron') as ElectronMainModule;
const {
  app,
  BrowserWindow,
  Menu,
  dialog,
  shell,
  screen,
  ipcMain,
  session,
  systemPreferences,
  utilityProcess,
  Tray,
  nativeImage,
} = electron;

const development = !app.isPackaged;
// Unpackaged: the repository (run-app.mjs passes it). Packaged: the runtime's sources sit
// unpacked next to app.asar so the child Node process can read and run them.
const root = development
  ? (process.env.PATCHBAY_ROOT ?? resolve(__dirname, '..', '..'))
  : join((process as NodeJS.Process & { resourcesPath: string }).resourcesPath, 'app.asar.unpacked');
const preloadPath = join(__dirname, 'preload.cjs');

app.setName('Patchbay');
// A separate profile (tests, a second rig on one machine). Electron's single-instance lock is
// per profile, so this also lets such a run stand beside the VJ's own instance.
if (process.env.PATCHBAY_USER_DATA) app.setPath('userData', resolve(process.env.PATCHBAY_USER_DATA));
const launchArgs = parseAppArgs(process.argv, process.cwd(), leadingArgvEntries(app.isPackaged));

let settings: AppSettings;
let settingsPath = '';
let logs: PatchbayLogger | null = null;
let userDataLogs: string | null = null;
let logPath: string | null = null;
let mainWindow: BrowserWindowInstance | null = null;
let outputWindow: BrowserWindowInstance | null = null;
let errorWindow: BrowserWindowInstance | null = null;
let runtimeUrl: string | null = null;
let supervisor: RuntimeSupervisor;
let tray: TrayInstance | null = null;
let runtimeSnapshot: { state: SupervisorState; lastError: string | null } = {
  state: 'idle',
  lastError: null,
};

/** Builds (first call) or refreshes the tray icon from the window and the runtime's state. */
function updateTray(): void {
  const model = trayModel({
    runtime: runtimeSnapshot.state,
    lastError: runtimeSnapshot.lastError,
    url: runtimeUrl,
    windowVisible: !!mainWindow && !mainWindow.isDestroyed() && mainWindow.isVisible(),
  });
  try {
    tray ??= new Tray(nativeImage.createFromDataURL(TRAY_ICON_DATA_URL));
  } catch (error) {
    // Some Linux desktops have no status area: the app works without the tray.
    log(`tray icon unavailable: ${(error as Error).message}`);
    return;
  }
  tray.setToolTip(model.tooltip);
  tray.setContextMenu(
    Menu.buildFromTemplate(
      model.items.map((item) =>
        item.type === 'separator'
          ? { type: 'separator' as const }
          : {
              label: item.label!,
              enabled: item.enabled ?? true,
              ...(item.command ? { click: () => trayCommand(item.command!) } : {}),
            },
      ),
    ),
  );
}

/** Auto-update (updates.ts): electron-updater is loaded only when updates are on. */
function startUpdates(): void {
  const decision = decideUpdates(process.env, app.isPackaged);
  if (!decision.enabled) {
    startAutoUpdate({} as Updater, decision, log);
    return;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { autoUpdater } = require('electron-updater') as { autoUpdater: Updater };
    startAutoUpdate(autoUpdater, decision, log);
  } catch (error) {
    log(`auto-update: electron-updater could not be loaded: ${(error as Error).message}`);
  }
}

function trayCommand(command: TrayCommand): void {
  if (command === 'tray.quit') app.quit();
  else if (command === 'tray.hide') mainWindow?.hide();
  else if (mainWindow && !mainWindow.isDestroyed()) {
    mainWindow.show();
    mainWindow.focus();
  } else createMainWindow();
  updateTray();
}

function log(message: string): void {
  if (logs) logs.logger.info(message);
  else process.stderr.write(`${new Date().toISOString()} [app] ${message}\n`);
}
for (const warning of launchArgs.warnings) log(warning);

const handOver = new FileHandOver((path) => void deliverPatch(path));

const files = new FileService({
  showOpenDialog: (options) => dialog.showOpenDialog(requireMainWindow(), options),
  showSaveDialog: (options) => dialog.showSaveDialog(requireMainWindow(), options),
  onRecent: (path) => {
    settings.recentFiles = addRecentFile(settings.recentFiles, path);
    app.addRecentDocument(path);
    persistSettings();
    rebuildMenu();
  },
  onRecentMissing: (path) => {
    settings.recentFiles = removeRecentFile(settings.recentFiles, path);
    persistSettings();
    rebuildMenu();
  },
  defaultDirectory: app.getPath('documents'),
});

const quit = new QuitCoordinator({
  requestFlush: () => {
    if (!mainWindow || mainWindow.isDestroyed() || runtimeUrl === null) return false;
    sendToEditor('app.flush', undefined);
    return true;
  },
  closeOutputWindow: () => closeOutputWindow(),
  stopRuntime: () => supervisor.stop(),
  saveSettings: async () => {
    captureWindowState();
    await saveSettings(settingsPath, settings);
  },
  quit: () => app.quit(),
  log,
  clock: {
    now: Date.now,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  },
});

// A second launch (a double-click on a .patch while we run) hands its files to us and exits.
if (!app.requestSingleInstanceLock({ patchFiles: launchArgs.patchFiles })) {
  app.quit();
} else {
  app.on('second-instance', (_event, argv, cwd, data) => {
    handOver.open(filesFromSecondInstance(argv, cwd, data, leadingArgvEntries(app.isPackaged)));
    if (mainWindow && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  // macOS delivers files (Finder, the Dock) as events, possibly before `ready`.
  app.on('open-file', (event, path) => {
    event.preventDefault();
    handOver.open([path]);
  });
  app.on('before-quit', (event) => {
    if (quit.beforeQuit()) event.preventDefault();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin' || quit.quitting) app.quit();
  });
  app.on('activate', () => {
    if (!mainWindow || mainWindow.isDestroyed()) createMainWindow();
  });
  app.on('web-contents-created', (_event, contents) => secureContents(contents));
  // Ctrl+C in the terminal that ran `npm run app` goes through the same clean quit.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => app.quit());
  handOver.open(launchArgs.patchFiles);
  void main();
}

async function main(): Promise<void> {
  await app.whenReady();
  const userData = app.getPath('userData');
  // One rotating log for the app and the runtime it supervises (runtime/logging/files.ts): the
  // runtime prints pino JSON lines (PATCHBAY_LOG_FORMAT=json) and writes no files of its own.
  logs = createLogger({ dataDir: userData, base: { component: 'app' } });
  logPath = logs.file;
  userDataLogs = logsDir(userData);
  settingsPath = join(userData, 'settings.json');
  const loaded = await loadSettings(settingsPath);
  settings = loaded.settings;
  if (loaded.warning) log(loaded.warning);

  installSessionPolicy();
  registerIpc();
  supervisor = createSupervisor();
  rebuildMenu();
  createMainWindow();
  updateTray();
  startUpdates();
  await askCameraOnce();
  startRuntime();
}

function installSessionPolicy(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = decidePermission(permission, details.requestingUrl ?? '', runtimeUrl, details);
    if (!granted) log(`refused permission "${permission}" for ${details.requestingUrl ?? 'unknown'}`);
    callback(granted);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    decidePermission(permission, requestingOrigin, runtimeUrl, details),
  );
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: runtimeUrl
        ? withContentSecurityPolicy(details.url, details.responseHeaders, runtimeUrl)
        : details.responseHeaders,
    });
  });
}

/** Every web contents (editor, output, error page) gets the same navigation rules. */
function secureContents(contents: WebContents): void {
  const onNavigate = (event: ElectronEvent, url: string) => {
    const decision = decideNavigation(url, runtimeUrl);
    if (decision.kind === 'allow') return;
    event.preventDefault();
    if (decision.kind === 'external') void shell.openExternal(decision.url);
    else if (decision.kind === 'app-action') runAppAction(decision.action);
    else log(`blocked navigation to ${url.slice(0, 200)}: ${decision.reason}`);
  };
  contents.on('will-navigate', onNavigate);
  contents.on('will-redirect', onNavigate);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, runtimeUrl);
    if (decision.kind === 'external') void shell.openExternal(decision.url);
    return { action: 'deny' };
  });
}

function runAppAction(action: AppAction): void {
  if (action === 'quit') app.quit();
  else if (action === 'show-log' && logPath) void shell.openPath(logPath);
  else if (action === 'show-logs') showLogsWindow();
  else if (action === 'retry') {
    errorWindow?.close();
    errorWindow = null;
    startRuntime();
  }
}

function createSupervisor(): RuntimeSupervisor {
  const spec: RuntimeCommandSpec = {
    // Unpackaged, run-app.mjs passes the Node that ran it; packaged, Electron's utility process.
    nodePath: process.env.PATCHBAY_NODE ?? 'node',
    electronAsNode: false,
    entry: join(root, 'bin', 'patchbay.mjs'),
    root,
    baseEnv: { ...process.env, PATCHBAY_LOG_FORMAT: 'json', PATCHBAY_LOG_FILES: 'off' },
  };
  const sup = new RuntimeSupervisor({
    launch: (port) => {
      const child = development ? spawnChild(runtimeCommand(spec, port)) : forkUtility(spec, port);
      child.onOutput((line, stream) => {
        if (logs) forwardLine(logs.logger.child({ component: 'runtime' }), logs.destination, line, stream);
      });
      return child;
    },
    findFreePort: () => findFreePort(),
    // Generous: a runtime busy with inference on two cores answers slowly, and a false
    // "hung" verdict would restart the show.
    probeHealth: (url) => probeHealth(url, 3_000),
    clock: {
      now: Date.now,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
    random: Math.random,
  });
  sup.onChange((snap) => {
    log(`runtime: ${snap.state}${snap.lastError ? ` (${snap.lastError})` : ''}`);
    runtimeSnapshot = { state: snap.state, lastError: snap.lastError ?? null };
    updateTray();
    if (snap.state === 'failed' && !quit.quitting)
      showStartupError(snap.lastError ?? 'the runtime failed', sup.logTail());
  });
  sup.onReady((url) => {
    const changed = url !== runtimeUrl;
    runtimeUrl = url;
    // Same port after a restart: the editor reconnects by itself. A new port needs a reload.
    if (changed && mainWindow && !mainWindow.isDestroyed()) void mainWindow.loadURL(`${url}/`);
  });
  return sup;
}

/** The packaged runtime runs in Electron's utility process (no ELECTRON_RUN_AS_NODE needed). */
function forkUtility(spec: RuntimeCommandSpec, port: number): ChildHandle {
  const cmd = runtimeCommand(spec, port);
  const child = utilityProcess.fork(cmd.args[0]!, cmd.args.slice(1), {
    env: cmd.env,
    cwd: cmd.cwd,
    stdio: 'pipe',
    serviceName: 'Patchbay runtime',
  });
  const outputListeners: Array<(line: string, stream: 'stdout' | 'stderr') => void> = [];
  const exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  let exited: number | null | undefined;
  for (const [stream, name] of [
    [child.stdout, 'stdout'],
    [child.stderr, 'stderr'],
  ] as const) {
    if (stream)
      createInterface({ input: stream }).on('line', (line) => outputListeners.forEach((l) => l(line, name)));
  }
  child.on('exit', (code) => {
    exited = code;
    exitListeners.forEach((l) => l(code, null));
  });
  return {
    get pid() {
      return child.pid;
    },
    onOutput: (listener) => void outputListeners.push(listener),
    onExit: (listener) => (exited !== undefined ? listener(exited, null) : void exitListeners.push(listener)),
    kill: (signal) => {
      if (signal === 'SIGKILL' && child.pid) process.kill(child.pid, 'SIGKILL');
      else child.kill();
    },
  };
}

function startRuntime(): void {
  supervisor
    .start()
    .then((url) => {
      runtimeUrl = url;
      if (!mainWindow || mainWindow.isDestroyed()) createMainWindow();
      else if (originOf(mainWindow.webContents.getURL()) !== url) void mainWindow.loadURL(`${url}/`);
    })
    .catch((error: Error) => {
      // A RuntimeStartError also moved the supervisor to 'failed', whose listener shows the
      // error window; anything else here is a start cut short by quitting or a restart.
      if (!(error instanceof RuntimeStartError)) log(`runtime start: ${error.message}`);
    });
}

let logsWindow: BrowserWindowInstance | null = null;

/** Opens (or refreshes) the logs window: the newest lines of the rotating log, JavaScript off. */
function showLogsWindow(): void {
  const url = logsPageUrl({ lines: userDataLogs ? readRecentLogLines(userDataLogs) : [], logPath });
  if (logsWindow && !logsWindow.isDestroyed()) {
    void logsWindow.loadURL(url);
    logsWindow.focus();
    return;
  }
  const win = new BrowserWindow(startupErrorWindowOptions());
  logsWindow = win;
  void win.loadURL(url);
  win.on('closed', () => {
    if (logsWindow === win) logsWindow = null;
  });
}

function showStartupError(message: string, logLines: readonly string[]): void {
  runtimeUrl = null;
  const previous = errorWindow;
  // The new window opens before the old ones go, so 'window-all-closed' never sees zero windows.
  const win = new BrowserWindow(startupErrorWindowOptions());
  errorWindow = win;
  void win.loadURL(startupErrorPageUrl({ message, log: logLines.map((l) => humanLine(l)), logPath }));
  win.on('closed', () => {
    if (errorWindow === win) errorWindow = null;
  });
  previous?.destroy();
  const editor = mainWindow;
  mainWindow = null;
  editor?.destroy();
}

function createMainWindow(): void {
  const saved = settings.window;
  const bounds = restoreWindowBounds(saved?.bounds, screen.getAllDisplays());
  const win = new BrowserWindow(mainWindowOptions(preloadPath, bounds));
  mainWindow = win;
  if (saved?.maximized) win.maximize();
  win.once('ready-to-show', () => {
    win.show();
    if (launchArgs.devTools) win.webContents.openDevTools({ mode: 'detach' });
  });
  // A reloaded editor must subscribe again before it gets files.
  win.webContents.on('did-navigate', () => handOver.setReady(false));
  win.webContents.on('render-process-gone', (_event, details) => {
    log(`editor renderer gone (${details.reason}, exit ${details.exitCode}); reloading`);
    handOver.setReady(false);
    if (runtimeUrl && !win.isDestroyed()) void win.loadURL(`${runtimeUrl}/`);
  });
  win.on('close', (event) => {
    captureWindowState();
    // Closing the editor quits, through the sequence that lets the editor flush its autosave
    // first (the window must still be there to do it).
    if (!quit.quitting) {
      event.preventDefault();
      app.quit();
    }
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.on('show', () => updateTray());
  win.on('hide', () => updateTray());
  if (runtimeUrl) void win.loadURL(`${runtimeUrl}/`);
}

function captureWindowState(): void {
  if (!mainWindow || mainWindow.isDestroyed()) return;
  const b = mainWindow.getNormalBounds();
  settings.window = {
    bounds: {
      x: Math.round(b.x),
      y: Math.round(b.y),
      width: Math.round(b.width),
      height: Math.round(b.height),
    },
    maximized: mainWindow.isMaximized(),
  };
}

function requireMainWindow(): BrowserWindowInstance {
  if (!mainWindow || mainWindow.isDestroyed()) throw new Error('the editor window is not open');
  return mainWindow;
}

function sendToEditor(command: EditorCommandId, arg: unknown): void {
  if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_CHANNELS.menu, command, arg);
}

async function deliverPatch(path: string): Promise<void> {
  try {
    const patch = await files.openPath(path, true);
    mainWindow?.webContents.send(IPC_CHANNELS.openPatch, patch);
  } catch (error) {
    dialog.showErrorBox('Could not open the patch', (error as Error).message);
  }
}

function displayInfo(): DisplayInfo[] {
  const primary = screen.getPrimaryDisplay().id;
  return screen.getAllDisplays().map((d: Display) => ({
    id: d.id,
    label: d.label || `Display ${d.id}`,
    width: d.bounds.width,
    height: d.bounds.height,
    scaleFactor: d.scaleFactor,
    primary: d.id === primary,
  }));
}

async function openOutputWindow(displayId: number | null): Promise<void> {
  if (displayId === null) return closeOutputWindow();
  if (!runtimeUrl) throw new Error('the runtime is not running');
  const editorDisplay = mainWindow ? screen.getDisplayMatching(mainWindow.getBounds()).id : null;
  const display = pickOutputDisplay(screen.getAllDisplays(), displayId, editorDisplay);
  if (!display) throw new Error('no display is connected');
  closeOutputWindow();
  const win = new BrowserWindow(outputWindowOptions(display));
  outputWindow = win;
  settings.outputDisplayId = display.id;
  win.once('ready-to-show', () => {
    win.setBounds(display.bounds);
    win.show();
    win.setFullScreen(true);
  });
  win.on('closed', () => {
    if (outputWindow === win) outputWindow = null;
    rebuildMenu();
  });
  await win.loadURL(`${runtimeUrl}/?view=output`);
  rebuildMenu();
  persistSettings();
}

function closeOutputWindow(): void {
  if (outputWindow && !outputWindow.isDestroyed()) outputWindow.close();
  outputWindow = null;
}

function registerIpc(): void {
  const handlers = createIpcHandlers({
    files,
    appOrigin: () => runtimeUrl,
    listDisplays: displayInfo,
    openOutputWindow,
    flushDone: () => quit.flushDone(),
    readyForFiles: () => handOver.setReady(true),
  });
  for (const [channel, handler] of Object.entries(handlers.invoke)) ipcMain.handle(channel, handler);
  for (const [channel, handler] of Object.entries(handlers.on)) {
    ipcMain.on(channel, (event, ...args) => {
      try {
        handler(event, ...args);
      } catch (error) {
        log((error as Error).message);
      }
    });
  }
}

function rebuildMenu(): void {
  const model = buildMenuModel({
    platform: process.platform,
    appName: app.getName(),
    recentFiles: settings?.recentFiles ?? [],
    displays: displayInfo(),
    outputDisplayId: outputWindow && !outputWindow.isDestroyed() ? (settings.outputDisplayId ?? null) : null,
    development,
  });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(toElectronTemplate(model, (command, arg) => void runCommand(command, arg))),
  );
}

async function runCommand(command: MenuCommandId, arg: string | number | undefined): Promise<void> {
  try {
    switch (command) {
      case 'file.open': {
        const patch = await files.openWithDialog();
        if (patch) mainWindow?.webContents.send(IPC_CHANNELS.openPatch, patch);
        return;
      }
      case 'file.open-recent':
        if (typeof arg === 'string') handOver.open([arg]);
        return;
      case 'file.clear-recent':
        settings.recentFiles = [];
        app.clearRecentDocuments();
        persistSettings();
        rebuildMenu();
        return;
      case 'file.import-scope-workflow':
      case 'file.import-scope-timeline': {
        const file = await files.importScope(
          command === 'file.import-scope-workflow' ? 'workflow' : 'timeline',
        );
        if (file) sendToEditor(command, file);
        return;
      }
      case 'view.output-on-display':
        if (typeof arg === 'number') await openOutputWindow(arg);
        return;
      case 'view.close-output':
        closeOutputWindow();
        rebuildMenu();
        return;
      case 'help.show-runtime-log':
        showLogsWindow();
        return;
      case 'help.restart-runtime':
        await supervisor.stop();
        supervisor = createSupervisor();
        startRuntime();
        return;
      default:
        sendToEditor(command, arg);
    }
  } catch (error) {
    dialog.showErrorBox('Patchbay', (error as Error).message);
  }
}

async function askCameraOnce(): Promise<void> {
  const status = (systemPreferences.getMediaAccessStatus?.('camera') ?? 'unknown') as MediaAccessStatus;
  if (!shouldAskCameraAccess(process.platform, status, settings.cameraAccessAsked)) return;
  settings.cameraAccessAsked = true;
  persistSettings();
  const granted = await systemPreferences.askForMediaAccess?.('camera');
  log(`camera access ${granted ? 'granted' : 'not granted'} at the OS prompt`);
}

let saveChain: Promise<void> = Promise.resolve();
function persistSettings(): void {
  // Serialised so two quick changes cannot interleave their atomic renames.
  saveChain = saveChain
    .then(() => saveSettings(settingsPath, settings))
    .catch((error: Error) => log(`settings: ${error.message}`));
}
