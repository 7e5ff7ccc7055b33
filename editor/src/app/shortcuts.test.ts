import { describe, expect, it } from 'vitest';
import { matchShortcut, SHORTCUTS } from './shortcuts';

const key = (
  k: string,
  mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {},
) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe('matchShortcut', () => {
  it('maps Mod keys on both platforms', () => {
    expect(matchShortcut(key('z', { ctrlKey: true }), false)).toBe('undo');
    expect(matchShortcut(key('Z', { metaKey: true, shiftKey: true }), false)).toBe('redo');
    expect(matchShortcut(key('y', { ctrlKey: true }), false)).toBe('redo');
    expect(matchShortcut(key('d', { ctrlKey: true }), false)).toBe('duplicate');
    expect(matchShortcut(key('S', { ctrlKey: true, shiftKey: true }), false)).toBe('saveAs');
  });

  it('leaves text editing alone inside fields', () => {
    expect(matchShortcut(key('Backspace'), true)).toBeNull();
    expect(matchShortcut(key('c', { ctrlKey: true }), true)).toBeNull();
    expect(matchShortcut(key('f'), true)).toBeNull();
    expect(matchShortcut(key('z', { ctrlKey: true }), true)).toBe('undo');
    expect(matchShortcut(key('Backspace'), false)).toBe('delete');
    expect(matchShortcut(key('Tab'), false)).toBe('quickAdd');
    expect(matchShortcut(key('A', { shiftKey: true }), false)).toBe('quickAdd');
    expect(matchShortcut(key('?', { shiftKey: true }), false)).toBe('shortcuts');
    expect(matchShortcut(key('q'), false)).toBeNull();
  });

  it('lists every command it can return in the cheat sheet', () => {
    const listed = new Set(SHORTCUTS.map((s) => s.command));
    for (const c of [
      'undo',
      'redo',
      'copy',
      'paste',
      'cut',
      'duplicate',
      'delete',
      'selectAll',
      'quickAdd',
      'fitView',
      'layout',
      'save',
      'saveAs',
      'open',
      'new',
      'run',
      'search',
      'shortcuts',
      'escape',
    ]) {
      expect(listed.has(c as never)).toBe(true);
    }
  });
});
