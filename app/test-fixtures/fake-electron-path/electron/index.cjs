// A scripted stand-in for the `electron` module, used by app/main.wiring.test.ts to run the
// bundled main process (app/dist/main.cjs) under plain Node where no Electron binary exists.
// It records what main does (JSON lines on stdout) and plays a short session: the editor page
// loads, subscribes to files, asks for displays, a permission and a header check run, then the
// user quits and the editor confirms its autosave flush.
'use strict';
/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS stand-in for a CommonJS module */
const { EventEmitter } = require('node:events');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const record = (type, data) => process.stdout.write(JSON.stringify({ type, ...data }) + '\n');
const userData = process.env.FAKE_ELECTRON_USERDATA || mkdtempSync(join(tmpdir(), 'fake-electron-'));

const handlers = new Map();
const listeners = new Map();
const session = { request: null, check: null, headers: null };
let windowsCreated = 0;

class FakeEvent {
  constructor() {
    this.defaultPrevented = false;
  }
  preventDefault() {
    this.defaultPrevented = true;
  }
}

const appEmitter = new EventEmitter();
let quitCalls = 0;
const app = {
  isPackaged: false,
  whenReady: () => Promise.resolve(),
  setName: (name) => record('app.setName', { name }),
  getName: () => 'Patchbay',
  getPath: (name) => (name === 'userData' ? userData : join(userData, name)),
  setPath: () => {},
  requestSingleInstanceLock: (data) => {
    record('app.singleInstanceLock', { data });
    return true;
  },
  addRecentDocument: (path) => record('app.addRecentDocument', { path }),
  clearRecentDocuments: () => {},
  on: (event, listener) => appEmitter.on(event, listener),
  quit: () => {
    quitCalls++;
    const event = new FakeEvent();
    appEmitter.emit('before-quit', event);
    record('app.quit', { call: quitCalls, prevented: event.defaultPrevented });
    if (!event.defaultPrevented) setTimeout(() => process.exit(0), 20);
  },
  exit: (code) => process.exit(code ?? 0),
};

class WebContents extends EventEmitter {
  constructor(win) {
    super();
    this.win = win;
    this.url = '';
    this.id = windowsCreated;
  }
  getURL() {
    return this.url;
  }
  isLoading() {
    return false;
  }
  openDevTools() {}
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
  send(channel, ...args) {
    record('webContents.send', { channel, args });
    if (channel === 'patchbay:menu' && args[0] === 'app.flush') {
      // The editor saves its autosave, then confirms.
      setTimeout(() => callOn('patchbay:flush-done', this.url), 30);
    }
  }
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    windowsCreated++;
    this.options = options;
    this.webContents = new WebContents(this);
    this.destroyed = false;
    this.visible = false;
    record('BrowserWindow.new', { options });
    appEmitter.emit('web-contents-created', new FakeEvent(), this.webContents);
  }
  async loadURL(url) {
    this.webContents.url = url;
    record('BrowserWindow.loadURL', { url: url.startsWith('data:') ? 'data:…' : url });
    this.webContents.emit('did-navigate', new FakeEvent(), url);
    setTimeout(() => this.emit('ready-to-show'), 5);
    if (url.startsWith('http:') && this.options.webPreferences.preload)
      setTimeout(() => editorSession(this, url), 20);
    if (url.startsWith('data:')) setTimeout(() => errorPageSession(this, url), 20);
  }
  show() {
    record('BrowserWindow.show', {});
    this.visible = true;
    this.emit('show', new FakeEvent());
  }
  hide() {
    record('BrowserWindow.hide', {});
    this.visible = false;
    this.emit('hide', new FakeEvent());
  }
  focus() {}
  close() {
    this.emit('close', new FakeEvent());
    this.destroy();
  }
  destroy() {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('closed', new FakeEvent());
    }
  }
  restore() {}
  maximize() {}
  isMinimized() {
    return false;
  }
  isMaximized() {
    return false;
  }
  isDestroyed() {
    return this.destroyed;
  }
  isVisible() {
    return this.visible;
  }
  getNormalBounds() {
    return { x: 40, y: 50, width: 1200, height: 800 };
  }
  getBounds() {
    return this.getNormalBounds();
  }
  setBounds() {}
  setFullScreen() {}
}

const trays = [];
class Tray {
  constructor(image) {
    record('Tray.new', { image: typeof image === 'object' && image !== null ? image.kind : typeof image });
    this.menu = [];
    trays.push(this);
  }
  setToolTip(text) {
    this.tooltip = text;
    record('Tray.setToolTip', { text });
  }
  setContextMenu(menu) {
    this.menu = menu;
    record('Tray.setContextMenu', { labels: menu.map((m) => m.label ?? m.type) });
  }
  destroy() {}
}

/** Clicks the tray menu item labelled `label`; records whether it was there. */
function clickTray(label) {
  const item = trays.at(-1)?.menu.find((m) => m.label === label);
  record('tray.click', { label, found: !!item });
  item?.click?.();
}

function callOn(channel, url, ...args) {
  const listener = listeners.get(channel);
  if (!listener) return record('ipc.missing', { channel });
  listener({ senderFrame: { url } }, ...args);
}

async function invoke(channel, url, ...args) {
  try {
    return { ok: true, value: await handlers.get(channel)({ senderFrame: { url } }, ...args) };
  } catch (error) {
    return { ok: false, error: error.message };
  }
}

/** What a loaded editor page and a user do, in order. */
async function editorSession(win, url) {
  const origin = new URL(url).origin;
  callOn('patchbay:ready-for-files', url);
  record('ipc.listDisplays', await invoke('patchbay:list-displays', url));
  record('ipc.listDisplays.evil', await invoke('patchbay:list-displays', 'https://evil.example/'));
  record('ipc.saveFile.unknownPath', await invoke('patchbay:save-file', url, '/etc/passwd.patch', 'x'));
  const decide = (permission, requestingUrl) =>
    new Promise((resolve) =>
      session.request(win.webContents, permission, resolve, { requestingUrl, mediaTypes: ['video'] }),
    );
  record('permission', {
    media: await decide('media', url),
    evilMedia: await decide('media', 'https://evil.example/'),
    geo: await decide('geolocation', url),
  });
  session.headers({ url: `${origin}/`, responseHeaders: { 'Content-Type': ['text/html'] } }, (r) =>
    record('headers', { headers: r.responseHeaders }),
  );
  const nav = new FakeEvent();
  win.webContents.emit('will-navigate', nav, 'file:///etc/passwd');
  const ext = new FakeEvent();
  win.webContents.emit('will-navigate', ext, 'https://example.com/docs');
  record('navigation', {
    filePrevented: nav.defaultPrevented,
    externalPrevented: ext.defaultPrevented,
    open: win.webContents.windowOpenHandler({ url: `${origin}/x` }),
  });
  // The tray: hide the editor, then show it again.
  clickTray('Hide Patchbay');
  clickTray('Show Patchbay');
  setTimeout(() => app.quit(), 50);
}

/** The startup error page: the user clicks Retry the first time, then Quit. */
let errorPages = 0;
function errorPageSession(win, url) {
  errorPages++;
  const html = Buffer.from(url.split(',')[1], 'base64').toString('utf8');
  record('errorPage', { number: errorPages, html });
  const event = new FakeEvent();
  win.webContents.emit('will-navigate', event, errorPages === 1 ? 'patchbay-app:retry' : 'patchbay-app:quit');
  record('errorPage.click', { prevented: event.defaultPrevented });
}

module.exports = {
  app,
  BrowserWindow,
  Menu: {
    buildFromTemplate: (template) => template,
    setApplicationMenu: (template) => record('Menu.set', { labels: template.map((m) => m.label) }),
  },
  dialog: {
    showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
    showSaveDialog: async () => ({ canceled: true }),
    showErrorBox: (title, content) => record('dialog.error', { title, content }),
  },
  shell: {
    openExternal: async (url) => record('shell.openExternal', { url }),
    openPath: async (path) => {
      record('shell.openPath', { path });
      return '';
    },
  },
  screen: {
    getAllDisplays: () => [
      {
        id: 1,
        label: 'Fake',
        bounds: { x: 0, y: 0, width: 1920, height: 1080 },
        workArea: { x: 0, y: 0, width: 1920, height: 1050 },
        scaleFactor: 1,
      },
    ],
    getPrimaryDisplay: () => ({ id: 1 }),
    getDisplayMatching: () => ({ id: 1 }),
  },
  ipcMain: {
    handle: (channel, handler) => handlers.set(channel, handler),
    on: (channel, listener) => listeners.set(channel, listener),
  },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (h) => (session.request = h),
      setPermissionCheckHandler: (h) => (session.check = h),
      webRequest: { onHeadersReceived: (h) => (session.headers = h) },
    },
  },
  Tray,
  nativeImage: {
    createFromDataURL: (url) => ({ kind: url.startsWith('data:image/png;base64,') ? 'png' : 'other' }),
  },
  systemPreferences: {},
  utilityProcess: {
    fork: () => {
      throw new Error('not used unpackaged');
    },
  },
};
