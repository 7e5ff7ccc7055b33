import { describe, it, expect } from 'vitest';
import { buildMenuModel, flattenMenu, toElectronTemplate, type MenuCommandId, type MenuState } from './menu';
import type { MenuItemConstructorOptions } from './electron-types';

const base: MenuState = {
  platform: 'linux',
  appName: 'Patchbay',
  recentFiles: [],
  displays: [
    { id: 1, label: 'Built-in', width: 1440, height: 900, scaleFactor: 2, primary: true },
    { id: 2, label: 'Projector', width: 1920, height: 1080, scaleFactor: 1, primary: false },
  ],
  outputDisplayId: null,
  development: false,
};

const labels = (state: MenuState) => buildMenuModel(state).map((m) => m.label);
const byCommand = (state: MenuState, command: MenuCommandId) =>
  flattenMenu(buildMenuModel(state)).filter((n) => n.command === command);

describe('menu model', () => {
  it('has File, Edit, View, Window, Help; macOS adds the app menu first', () => {
    expect(labels(base)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
    expect(labels({ ...base, platform: 'darwin' })).toEqual([
      'Patchbay',
      '&File',
      '&Edit',
      '&View',
      '&Window',
      '&Help',
    ]);
  });

  it('File has New, Open, Open Recent, Save, Save As, Import Scope workflow/timeline, Export', () => {
    const file = flattenMenu([buildMenuModel(base)[0]!]);
    const commands = file
      .filter((n) => n.command)
      .map((n) => `${n.command}${n.accelerator ? ` ${n.accelerator}` : ''}`);
    expect(commands).toEqual([
      'file.new CmdOrCtrl+N',
      'file.open CmdOrCtrl+O',
      'file.clear-recent',
      'file.save CmdOrCtrl+S',
      'file.save-as CmdOrCtrl+Shift+S',
      'file.import-scope-workflow',
      'file.import-scope-timeline',
      'file.export-scope-workflow',
    ]);
    expect(file.map((n) => n.label)).toContain('Open Recent');
  });

  it('Quit sits in File on Windows/Linux and in the app menu on macOS', () => {
    const quitIn = (state: MenuState) =>
      buildMenuModel(state).find((m) => flattenMenu(m.submenu ?? []).some((n) => n.role === 'quit'))?.label;
    expect(quitIn(base)).toBe('&File');
    expect(quitIn({ ...base, platform: 'darwin' })).toBe('Patchbay');
  });

  it('lists recent files newest first, each opening its path', () => {
    const state = { ...base, recentFiles: ['/shows/b.patch', '/shows/a.patch'] };
    expect(byCommand(state, 'file.open-recent').map((n) => [n.label, n.arg])).toEqual([
      ['b.patch  —  /shows/b.patch', '/shows/b.patch'],
      ['a.patch  —  /shows/a.patch', '/shows/a.patch'],
    ]);
    expect(byCommand(state, 'file.clear-recent')[0]?.enabled).toBe(true);
    expect(byCommand(base, 'file.clear-recent')[0]?.enabled).toBe(false);
  });

  it('offers the output window on each display, marking the one in use', () => {
    const items = byCommand({ ...base, outputDisplayId: 2 }, 'view.output-on-display');
    expect(items.map((n) => [n.label, n.arg, n.checked])).toEqual([
      ['Output on Built-in (1440×900, main)', 1, false],
      ['Output on Projector (1920×1080)', 2, true],
    ]);
    expect(byCommand({ ...base, outputDisplayId: 2 }, 'view.close-output')[0]?.enabled).toBe(true);
    expect(byCommand(base, 'view.close-output')[0]?.enabled).toBe(false);
  });

  it('says so when no display is known', () => {
    const view = flattenMenu(buildMenuModel({ ...base, displays: [] }));
    expect(view.find((n) => n.label === 'No displays found')?.enabled).toBe(false);
  });

  it('Edit routes undo/redo to the editor and uses native clipboard roles', () => {
    const edit = flattenMenu([buildMenuModel(base)[1]!]);
    expect(edit.filter((n) => n.command).map((n) => n.command)).toEqual(['edit.undo', 'edit.redo']);
    expect(edit.filter((n) => n.role).map((n) => n.role)).toEqual(['cut', 'copy', 'paste', 'selectAll']);
    expect(byCommand({ ...base, platform: 'darwin' }, 'edit.redo')[0]?.accelerator).toBe('Cmd+Shift+Z');
  });

  it('Reload and DevTools only in development', () => {
    const roles = (s: MenuState) => flattenMenu(buildMenuModel(s)).map((n) => n.role);
    expect(roles(base)).not.toContain('reload');
    expect(roles(base)).not.toContain('toggleDevTools');
    expect(roles({ ...base, development: true })).toEqual(
      expect.arrayContaining(['reload', 'toggleDevTools']),
    );
  });

  it('no two items share an accelerator', () => {
    for (const platform of ['linux', 'darwin', 'win32']) {
      const accels = flattenMenu(buildMenuModel({ ...base, platform })).flatMap((n) =>
        n.accelerator ? [n.accelerator] : [],
      );
      expect(new Set(accels).size).toBe(accels.length);
    }
  });
});

describe('toElectronTemplate', () => {
  it('dispatches each item’s command and argument on click', () => {
    const dispatched: Array<[string, unknown]> = [];
    const template = toElectronTemplate(buildMenuModel({ ...base, recentFiles: ['/x.patch'] }), (c, a) =>
      dispatched.push([c, a]),
    );
    const all = (items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] =>
      items.flatMap((i) => [i, ...(i.submenu ? all(i.submenu) : [])]);
    const find = (id: string) => all(template).find((i) => i.id === id);
    find('file.save')!.click!();
    find('file.open-recent:/x.patch')!.click!();
    find('view.output-on-display:2')!.click!();
    expect(dispatched).toEqual([
      ['file.save', undefined],
      ['file.open-recent', '/x.patch'],
      ['view.output-on-display', 2],
    ]);
    expect(find('file.save')).toMatchObject({ label: 'Save', accelerator: 'CmdOrCtrl+S' });
    const copy = all(template).find((i) => i.role === 'copy')!;
    expect(copy.click).toBeUndefined();
  });
});
