/**
 * The application menu as data: `buildMenuModel(state)` describes every item (label, command,
 * accelerator, role), and `toElectronTemplate(model, dispatch)` turns it into the template
 * `Menu.buildFromTemplate` takes, with each click dispatching a command id. Rebuilt whenever the
 * recent files, the displays or the output window change.
 */
import { basename } from 'node:path';
import type { MenuItemConstructorOptions } from './electron-types';
import type { DisplayInfo, EditorCommandId } from './preload-api';

/** Commands the shell handles itself (the rest go to the editor, see EDITOR_COMMANDS). */
export type ShellCommandId =
  | 'file.open'
  | 'file.open-recent'
  | 'file.clear-recent'
  | 'file.import-scope-workflow'
  | 'file.import-scope-timeline'
  | 'view.output-on-display'
  | 'view.close-output'
  | 'help.show-runtime-log'
  | 'help.restart-runtime';

/** Every command a menu item can dispatch. */
export type MenuCommandId = ShellCommandId | Exclude<EditorCommandId, 'app.flush'>;

/** One menu item, Electron-free. */
export interface MenuNode {
  label?: string;
  /** A command dispatched on click (with `arg`), or … */
  command?: MenuCommandId;
  arg?: string | number;
  /** … a built-in Electron role (copy, paste, quit, …). */
  role?: string;
  accelerator?: string;
  type?: 'separator' | 'checkbox' | 'radio';
  checked?: boolean;
  enabled?: boolean;
  submenu?: MenuNode[];
}

/** Everything the menu depends on. */
export interface MenuState {
  platform: string;
  appName: string;
  recentFiles: readonly string[];
  displays: readonly DisplayInfo[];
  /** The display showing the output window, or null when it is closed. */
  outputDisplayId: number | null;
  /** Unpackaged runs get Reload and DevTools. */
  development: boolean;
}

const separator: MenuNode = { type: 'separator' };

/** Builds the whole menu bar for the platform (macOS gets the app menu first). */
export function buildMenuModel(state: MenuState): MenuNode[] {
  const mac = state.platform === 'darwin';
  const recent: MenuNode[] =
    state.recentFiles.length === 0
      ? [{ label: 'No recent patches', enabled: false }]
      : state.recentFiles.map((path) => ({
          label: `${basename(path)}  —  ${path}`,
          command: 'file.open-recent' as const,
          arg: path,
        }));
  const file: MenuNode = {
    label: '&File',
    submenu: [
      { label: 'New Patch', command: 'file.new', accelerator: 'CmdOrCtrl+N' },
      { label: 'Open…', command: 'file.open', accelerator: 'CmdOrCtrl+O' },
      {
        label: 'Open Recent',
        submenu: [
          ...recent,
          separator,
          { label: 'Clear Recent', command: 'file.clear-recent', enabled: state.recentFiles.length > 0 },
        ],
      },
      separator,
      { label: 'Save', command: 'file.save', accelerator: 'CmdOrCtrl+S' },
      { label: 'Save As…', command: 'file.save-as', accelerator: 'CmdOrCtrl+Shift+S' },
      separator,
      {
        label: 'Import',
        submenu: [
          { label: 'Scope Workflow…', command: 'file.import-scope-workflow' },
          { label: 'Scope Timeline…', command: 'file.import-scope-timeline' },
        ],
      },
      { label: 'Export', submenu: [{ label: 'Scope Workflow…', command: 'file.export-scope-workflow' }] },
      ...(mac ? [] : [separator, { label: 'Quit', role: 'quit', accelerator: 'Ctrl+Q' }]),
    ],
  };
  const edit: MenuNode = {
    label: '&Edit',
    submenu: [
      // The editor's own history (node moves, wiring); text fields keep their native undo.
      { label: 'Undo', command: 'edit.undo', accelerator: 'CmdOrCtrl+Z' },
      { label: 'Redo', command: 'edit.redo', accelerator: mac ? 'Cmd+Shift+Z' : 'Ctrl+Y' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const outputItems: MenuNode[] =
    state.displays.length === 0
      ? [{ label: 'No displays found', enabled: false }]
      : state.displays.map((d) => ({
          label: `Output on ${d.label || `Display ${d.id}`} (${d.width}×${d.height}${d.primary ? ', main' : ''})`,
          type: 'radio' as const,
          checked: state.outputDisplayId === d.id,
          command: 'view.output-on-display' as const,
          arg: d.id,
        }));
  const view: MenuNode = {
    label: '&View',
    submenu: [
      {
        label: 'Output Window',
        submenu: [
          ...outputItems,
          separator,
          {
            label: 'Close Output Window',
            command: 'view.close-output',
            accelerator: 'CmdOrCtrl+Shift+W',
            enabled: state.outputDisplayId !== null,
          },
        ],
      },
      separator,
      { role: 'togglefullscreen' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      ...(state.development ? [separator, { role: 'reload' }, { role: 'toggleDevTools' }] : []),
    ],
  };
  const windowMenu: MenuNode = {
    label: '&Window',
    role: 'windowMenu',
    submenu: mac
      ? [{ role: 'minimize' }, { role: 'zoom' }, separator, { role: 'front' }]
      : [{ role: 'minimize' }, { role: 'close' }],
  };
  const help: MenuNode = {
    label: '&Help',
    role: 'help',
    submenu: [
      { label: 'Show Runtime Log', command: 'help.show-runtime-log' },
      { label: 'Restart Runtime', command: 'help.restart-runtime' },
      ...(mac ? [] : [separator, { label: `About ${state.appName}`, role: 'about' }]),
    ],
  };
  const appMenu: MenuNode = {
    label: state.appName,
    submenu: [
      { role: 'about' },
      separator,
      { role: 'services' },
      separator,
      { role: 'hide' },
      { role: 'hideOthers' },
      { role: 'unhide' },
      separator,
      { role: 'quit' },
    ],
  };
  return mac ? [appMenu, file, edit, view, windowMenu, help] : [file, edit, view, windowMenu, help];
}

/** Receives a clicked item's command. */
export type MenuDispatch = (command: MenuCommandId, arg: string | number | undefined) => void;

/** Converts the model to Electron's menu template; clicks call `dispatch(command, arg)`. */
export function toElectronTemplate(
  model: readonly MenuNode[],
  dispatch: MenuDispatch,
): MenuItemConstructorOptions[] {
  return model.map((node) => {
    const item: MenuItemConstructorOptions = {};
    if (node.label !== undefined) item.label = node.label;
    if (node.role !== undefined) item.role = node.role;
    if (node.accelerator !== undefined) item.accelerator = node.accelerator;
    if (node.type !== undefined) item.type = node.type;
    if (node.checked !== undefined) item.checked = node.checked;
    if (node.enabled !== undefined) item.enabled = node.enabled;
    if (node.command !== undefined) {
      const { command, arg } = node;
      item.id = arg === undefined ? command : `${command}:${arg}`;
      item.click = () => dispatch(command, arg);
    }
    if (node.submenu) item.submenu = toElectronTemplate(node.submenu, dispatch);
    return item;
  });
}

/** All items of a model, depth first (for tests and for finding an item by command). */
export function flattenMenu(model: readonly MenuNode[]): MenuNode[] {
  return model.flatMap((node) => [node, ...(node.submenu ? flattenMenu(node.submenu) : [])]);
}
