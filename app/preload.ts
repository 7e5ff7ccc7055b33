/**
 * The preload script: exposes `window.patchbayApp` (the contract in preload-api.ts) to the
 * editor through contextBridge, and nothing else. It runs sandboxed, so it is bundled into one
 * CommonJS file (app/dist/preload.cjs) that requires only 'electron'. Every call goes through
 * ipcRenderer to handlers that check the caller and validate arguments (ipc.ts).
 */
import {
  EDITOR_COMMANDS,
  IPC_CHANNELS,
  type EditorCommandId,
  type OpenedPatch,
  type PatchbayAppApi,
} from './preload-api';
import type { ElectronPreloadModule } from './electron-types';

// `require` keeps tsc independent of the optional `electron` package; the bundler leaves it external.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const electron = require('electron') as ElectronPreloadModule;
const { contextBridge, ipcRenderer } = electron;

const isCommand = (value: unknown): value is EditorCommandId =>
  typeof value === 'string' && (EDITOR_COMMANDS as readonly string[]).includes(value);

/** Subscribes to a main → renderer channel without ever handing the IPC event to the page. */
function subscribe(channel: string, listener: (...args: unknown[]) => void): () => void {
  const wrapped = (_event: unknown, ...args: unknown[]) => listener(...args);
  ipcRenderer.on(channel, wrapped);
  return () => ipcRenderer.removeListener(channel, wrapped);
}

const api: PatchbayAppApi = {
  apiVersion: 1,
  platform: process.platform,
  openFile: () => ipcRenderer.invoke(IPC_CHANNELS.openFile) as ReturnType<PatchbayAppApi['openFile']>,
  saveFile: (path, contents, kind) =>
    ipcRenderer.invoke(IPC_CHANNELS.saveFile, path, contents, ...(kind ? [kind] : [])) as ReturnType<
      PatchbayAppApi['saveFile']
    >,
  onMenu: (callback) =>
    subscribe(IPC_CHANNELS.menu, (command, arg) => {
      if (isCommand(command)) callback(command, arg);
    }),
  onOpenPatch: (callback) => {
    const unsubscribe = subscribe(IPC_CHANNELS.openPatch, (patch) => callback(patch as OpenedPatch));
    // Files that arrived before the editor was listening are sent now.
    ipcRenderer.send(IPC_CHANNELS.readyForFiles);
    return unsubscribe;
  },
  listDisplays: () =>
    ipcRenderer.invoke(IPC_CHANNELS.listDisplays) as ReturnType<PatchbayAppApi['listDisplays']>,
  openOutputWindow: async (displayId) => {
    await ipcRenderer.invoke(IPC_CHANNELS.openOutputWindow, displayId);
  },
  flushDone: () => ipcRenderer.send(IPC_CHANNELS.flushDone),
};

contextBridge.exposeInMainWorld('patchbayApp', Object.freeze(api));
