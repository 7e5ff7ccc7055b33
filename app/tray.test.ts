import { describe, expect, it } from 'vitest';
import { runtimeStateText, TRAY_ICON_DATA_URL, trayModel } from './tray';

describe('trayModel', () => {
  it('names the runtime state and offers Hide while the window is visible', () => {
    const m = trayModel({ runtime: 'running', url: 'http://127.0.0.1:8123', windowVisible: true });
    expect(m.tooltip).toBe('Patchbay — Runtime: running at http://127.0.0.1:8123');
    expect(m.items.map((i) => i.label ?? i.type)).toEqual([
      'Runtime: running at http://127.0.0.1:8123',
      'separator',
      'Hide Patchbay',
      'separator',
      'Quit Patchbay',
    ]);
    expect(m.items[0]!.enabled).toBe(false);
    expect(m.items.find((i) => i.label === 'Quit Patchbay')!.command).toBe('tray.quit');
  });

  it('offers Show when hidden, and says why the runtime failed', () => {
    const m = trayModel({ runtime: 'failed', url: null, lastError: 'port in use', windowVisible: false });
    expect(m.items[2]).toEqual({ label: 'Show Patchbay', command: 'tray.show' });
    expect(m.tooltip).toBe('Patchbay — Runtime: failed: port in use');
    expect(runtimeStateText({ runtime: 'backoff', url: null, lastError: 'exit 7' })).toBe(
      'restarting (exit 7)',
    );
  });

  it('carries a PNG icon', () => {
    const png = Buffer.from(TRAY_ICON_DATA_URL.split(',')[1]!, 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(16); // width
  });
});
