/**
 * The tray icon (as Scope's desktop app has one): the runtime's state in the tooltip and the
 * menu's first (disabled) line, Show/Hide for the editor window and Quit. Plain data: main.ts
 * turns the model into Electron's Tray menu and calls `trayModel` again on every change (window
 * shown or hidden, runtime state), so this is tested without Electron.
 */
import type { SupervisorState } from './runtime-supervisor';

export type TrayCommand = 'tray.show' | 'tray.hide' | 'tray.quit';

export interface TrayState {
  runtime: SupervisorState;
  /** The runtime's URL while it runs. */
  url: string | null;
  lastError?: string | null;
  windowVisible: boolean;
}

export interface TrayItem {
  label?: string;
  type?: 'separator';
  enabled?: boolean;
  command?: TrayCommand;
}

export interface TrayModel {
  tooltip: string;
  items: TrayItem[];
}

/** What each supervisor state reads as. */
export function runtimeStateText(s: Pick<TrayState, 'runtime' | 'url' | 'lastError'>): string {
  switch (s.runtime) {
    case 'running':
      return s.url ? `running at ${s.url}` : 'running';
    case 'starting':
      return 'starting…';
    case 'backoff':
      return `restarting${s.lastError ? ` (${s.lastError})` : '…'}`;
    case 'failed':
      return `failed${s.lastError ? `: ${s.lastError}` : ''}`;
    case 'stopping':
      return 'stopping…';
    case 'stopped':
      return 'stopped';
    default:
      return 'not started';
  }
}

export function trayModel(s: TrayState): TrayModel {
  const status = `Runtime: ${runtimeStateText(s)}`;
  return {
    tooltip: `Patchbay — ${status}`,
    items: [
      { label: status, enabled: false },
      { type: 'separator' },
      s.windowVisible
        ? { label: 'Hide Patchbay', command: 'tray.hide' }
        : { label: 'Show Patchbay', command: 'tray.show' },
      { type: 'separator' },
      { label: 'Quit Patchbay', command: 'tray.quit' },
    ],
  };
}

/**
 * The tray icon: a 16×16 PNG (a patch cable's two jacks on the app's dark blue), so the app needs
 * no image file beside the bundle.
 */
export const TRAY_ICON_DATA_URL =
  'data:image/png;base64,' +
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAfklEQVR4AaXBsQ0CMQxA0X/WjZARXKT2HEyQ6obwGKmYgIlS' +
  'U2QEdgicRKToJGj83pZyGQQIQUKQECQECUE7i14bk7qx6rUxqRvTlnIZfPTauHqmB6f8OrhSN05C0M4ft+POqVd+Er7UjZW6' +
  'MakbK3Vj2lIugwAhSAgSgoSgN5vUFq9nnIxZAAAAAElFTkSuQmCC';
