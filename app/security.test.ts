import { describe, it, expect } from 'vitest';
import {
  contentSecurityPolicy,
  decideNavigation,
  decidePermission,
  decideWindowOpen,
  mainWindowOptions,
  outputWindowOptions,
  startupErrorWindowOptions,
  withContentSecurityPolicy,
} from './security';

const origin = 'http://127.0.0.1:41234';
const display = {
  id: 7,
  label: 'Projector',
  bounds: { x: 1920, y: 0, width: 1280, height: 720 },
  workArea: { x: 1920, y: 0, width: 1280, height: 720 },
  scaleFactor: 1,
};

describe('BrowserWindow options', () => {
  const windows = {
    main: mainWindowOptions('/app/dist/preload.cjs', null),
    output: outputWindowOptions(display),
    startupError: startupErrorWindowOptions(),
  };

  for (const [name, options] of Object.entries(windows)) {
    it(`the ${name} window isolates and sandboxes its renderer, without Node`, () => {
      expect(options.webPreferences).toMatchObject({
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        experimentalFeatures: false,
      });
      expect(options.webPreferences?.enableBlinkFeatures).toBeUndefined();
    });
  }

  it('only the editor window gets the preload; the output and error windows get none', () => {
    expect(windows.main.webPreferences?.preload).toBe('/app/dist/preload.cjs');
    expect(windows.output.webPreferences?.preload).toBeUndefined();
    expect(windows.startupError.webPreferences?.preload).toBeUndefined();
  });

  it('the error page runs without JavaScript', () => {
    expect(windows.startupError.webPreferences?.javascript).toBe(false);
  });

  it('the editor window uses restored bounds, or a default size', () => {
    expect(mainWindowOptions('/p', { x: 10, y: 20, width: 1000, height: 700 })).toMatchObject({
      x: 10,
      y: 20,
      width: 1000,
      height: 700,
    });
    const fresh = mainWindowOptions('/p', null);
    expect(fresh).toMatchObject({ width: 1400, height: 900, show: false });
    expect(fresh.x).toBeUndefined();
  });

  it('the output window is fullscreen and frameless on the chosen display', () => {
    expect(windows.output).toMatchObject({
      x: 1920,
      y: 0,
      width: 1280,
      height: 720,
      fullscreen: true,
      frame: false,
    });
  });
});

describe('content security policy', () => {
  it('allows scripts and connections only from the runtime', () => {
    const csp = contentSecurityPolicy(origin);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:41234");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('is set on responses from the runtime, replacing one it sent, and nowhere else', () => {
    const headers = withContentSecurityPolicy(
      `${origin}/index.html`,
      { 'content-security-policy': ['x'], 'X-A': ['1'] },
      origin,
    );
    expect(headers).toEqual({ 'X-A': ['1'], 'Content-Security-Policy': [contentSecurityPolicy(origin)] });
    expect(withContentSecurityPolicy('https://example.com/', { a: 'b' }, origin)).toEqual({ a: 'b' });
  });
});

describe('navigation', () => {
  it('keeps the runtime origin in the app', () => {
    expect(decideNavigation(`${origin}/?patch=1`, origin)).toEqual({ kind: 'allow' });
  });

  it('opens other web origins in the system browser, including another local port', () => {
    expect(decideNavigation('https://daydream.live/docs', origin)).toEqual({
      kind: 'external',
      url: 'https://daydream.live/docs',
    });
    expect(decideNavigation('http://127.0.0.1:9999/', origin)).toMatchObject({ kind: 'external' });
    expect(decideNavigation('mailto:vj@example.com', origin)).toMatchObject({ kind: 'external' });
  });

  it('refuses file:, javascript:, data: and unknown schemes, and garbage', () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/html,hi',
      'smb://host/share',
      'not a url',
    ]) {
      expect(decideNavigation(url, origin).kind).toBe('deny');
    }
  });

  it('routes the error page actions to the shell', () => {
    expect(decideNavigation('patchbay-app:retry', null)).toEqual({ kind: 'app-action', action: 'retry' });
    expect(decideNavigation('patchbay-app:quit', origin)).toEqual({ kind: 'app-action', action: 'quit' });
    expect(decideNavigation('patchbay-app:format-disk', origin).kind).toBe('deny');
  });

  it('never lets a page open an app window', () => {
    expect(decideWindowOpen(`${origin}/popup`, origin).kind).toBe('deny');
    expect(decideWindowOpen('https://example.com/', origin)).toEqual({
      kind: 'external',
      url: 'https://example.com/',
    });
  });
});

describe('permissions', () => {
  it('grants camera and microphone to the editor only', () => {
    expect(decidePermission('media', `${origin}/`, origin, { mediaTypes: ['video'] })).toBe(true);
    expect(decidePermission('media', `${origin}/`, origin, { mediaTypes: ['video', 'audio'] })).toBe(true);
    expect(decidePermission('media', 'https://evil.example/', origin, { mediaTypes: ['video'] })).toBe(false);
    expect(decidePermission('media', 'http://127.0.0.1:1/', origin, { mediaTypes: ['video'] })).toBe(false);
  });

  it('refuses everything else, and everything while no runtime is up', () => {
    for (const p of [
      'geolocation',
      'notifications',
      'midiSysex',
      'hid',
      'serial',
      'openExternal',
      'pointerLock',
    ]) {
      expect(decidePermission(p, `${origin}/`, origin)).toBe(false);
    }
    expect(decidePermission('media', `${origin}/`, null, { mediaTypes: ['video'] })).toBe(false);
    expect(decidePermission('fullscreen', `${origin}/`, origin)).toBe(true);
  });
});
