/** Editor commands a key can trigger. */
export type Command =
  | 'undo'
  | 'redo'
  | 'copy'
  | 'paste'
  | 'cut'
  | 'duplicate'
  | 'delete'
  | 'selectAll'
  | 'quickAdd'
  | 'fitView'
  | 'layout'
  | 'save'
  | 'saveAs'
  | 'open'
  | 'new'
  | 'run'
  | 'search'
  | 'shortcuts'
  | 'escape';

/** The shortcut table: shown in the cheat sheet and used by matchShortcut. `Mod` is Ctrl or ⌘. */
export const SHORTCUTS: readonly { keys: string; command: Command; label: string }[] = [
  { keys: 'Tab / Shift+A / double-click', command: 'quickAdd', label: 'Add a node at the pointer (search)' },
  { keys: 'Mod+K', command: 'search', label: 'Search the palette' },
  { keys: 'Mod+Z', command: 'undo', label: 'Undo' },
  { keys: 'Mod+Shift+Z / Mod+Y', command: 'redo', label: 'Redo' },
  { keys: 'Mod+C', command: 'copy', label: 'Copy selection (as JSON)' },
  { keys: 'Mod+X', command: 'cut', label: 'Cut selection' },
  { keys: 'Mod+V', command: 'paste', label: 'Paste' },
  { keys: 'Mod+D', command: 'duplicate', label: 'Duplicate selection' },
  { keys: 'Delete / Backspace', command: 'delete', label: 'Delete selection' },
  { keys: 'Mod+A', command: 'selectAll', label: 'Select all' },
  { keys: 'Shift+drag', command: 'selectAll', label: 'Box-select (Shift/Mod+click adds to the selection)' },
  { keys: 'F', command: 'fitView', label: 'Fit the patch in view' },
  { keys: 'L', command: 'layout', label: 'Auto-layout' },
  { keys: 'Mod+Enter', command: 'run', label: 'Run / Stop' },
  { keys: 'Mod+S', command: 'save', label: 'Save' },
  { keys: 'Mod+Shift+S', command: 'saveAs', label: 'Save as' },
  { keys: 'Mod+O', command: 'open', label: 'Open / gallery' },
  { keys: 'Mod+Alt+N', command: 'new', label: 'New patch' },
  { keys: '?', command: 'shortcuts', label: 'This cheat sheet' },
  { keys: 'Esc', command: 'escape', label: 'Close a dialog, clear the selection' },
];

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/**
 * The command for a key press, or null. `inField` is true while typing in an input: then only
 * Mod shortcuts apply (Delete must delete text, not nodes).
 */
export function matchShortcut(e: KeyLike, inField: boolean): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod) {
    if (k === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (k === 'y') return 'redo';
    if (k === 's') return e.shiftKey ? 'saveAs' : 'save';
    if (k === 'o') return 'open';
    if (k === 'k') return 'search';
    if (k === 'Enter') return 'run';
    if (k === 'n' && e.altKey) return 'new';
    if (inField) return null;
    if (k === 'c') return 'copy';
    if (k === 'x') return 'cut';
    if (k === 'v') return 'paste';
    if (k === 'd') return 'duplicate';
    if (k === 'a') return 'selectAll';
    return null;
  }
  if (k === 'Escape') return 'escape';
  if (inField || e.altKey) return null;
  if (k === 'Delete' || k === 'Backspace') return 'delete';
  if (k === 'Tab' || (k === 'a' && e.shiftKey)) return 'quickAdd';
  if (k === 'f' && !e.shiftKey) return 'fitView';
  if (k === 'l' && !e.shiftKey) return 'layout';
  if (k === '?') return 'shortcuts';
  return null;
}
