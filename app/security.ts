/**
 * Every security decision of the desktop shell, as plain functions main.ts wires into Electron:
 * the BrowserWindow options, the content security policy, which navigations stay in the app,
 * which open in the system browser, and which permission requests are granted. Kept free of
 * Electron so a test reads exactly what the app will build (Electron's security checklist,
 * docs/tutorial/security.md, is the reference).
 */
import type {
  BrowserWindowConstructorOptions,
  Display,
  PermissionRequestDetails,
  Rectangle,
  WebPreferences,
} from './electron-types';

/** The scheme of the app's own action links (the startup error page's Retry and Quit). */
export const APP_ACTION_SCHEME = 'patchbay-app:';

/** Actions the startup error page and the logs window may request by navigating to `patchbay-app:<action>`. */
export type AppAction = 'retry' | 'quit' | 'show-log' | 'show-logs';

const APP_ACTIONS: readonly AppAction[] = ['retry', 'quit', 'show-log', 'show-logs'];

/**
 * The web preferences every Patchbay window shares: context isolation, the OS sandbox, no Node in
 * the renderer, web security on, no <webview>, no navigation by dropping a file on the window.
 */
export function secureWebPreferences(preloadPath?: string): WebPreferences {
  const prefs: WebPreferences = {
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
    safeDialogs: true,
    spellcheck: false,
    // The editor previews live video; a hidden or occluded window must keep its timers and
    // media running, or the show stutters when the VJ switches to the output display.
    backgroundThrottling: false,
    autoplayPolicy: 'no-user-gesture-required',
  };
  if (preloadPath !== undefined) prefs.preload = preloadPath;
  return prefs;
}

/** Options for the editor window; `bounds` comes from the restored window state. */
export function mainWindowOptions(
  preloadPath: string,
  bounds: Rectangle | null,
): BrowserWindowConstructorOptions {
  return {
    title: 'Patchbay',
    ...(bounds ?? { width: 1400, height: 900 }),
    minWidth: 800,
    minHeight: 500,
    // Shown once the editor has painted, so the VJ never sees a white flash on stage.
    show: false,
    backgroundColor: '#15161a',
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/**
 * Options for the fullscreen output window on the chosen display (the projector). It gets no
 * preload: the output view only plays the runtime's stream and needs nothing from the app.
 */
export function outputWindowOptions(display: Display): BrowserWindowConstructorOptions {
  return {
    title: 'Patchbay output',
    ...display.bounds,
    fullscreen: true,
    frame: false,
    autoHideMenuBar: true,
    show: false,
    backgroundColor: '#000000',
    webPreferences: secureWebPreferences(),
  };
}

/** Options for the window that reports a runtime that failed to start: static HTML, no script. */
export function startupErrorWindowOptions(): BrowserWindowConstructorOptions {
  return {
    title: 'Patchbay — the runtime did not start',
    width: 760,
    height: 560,
    show: true,
    backgroundColor: '#15161a',
    webPreferences: { ...secureWebPreferences(), javascript: false, devTools: false },
  };
}

/**
 * The content security policy for pages served by the local runtime at `appOrigin`
 * (`http://127.0.0.1:<port>`). Scripts only from the runtime; inline styles are allowed because
 * React Flow positions nodes with style attributes; media may be blob: and mediastream: (camera
 * and WebRTC previews); the renderer connects only to the runtime (HTTP and its WebSocket).
 */
export function contentSecurityPolicy(appOrigin: string): string {
  const origin = new URL(appOrigin);
  const ws = `ws://${origin.host}`;
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "font-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Adds the CSP header to a response from the app's origin (for `session.webRequest
 * .onHeadersReceived`); other responses pass unchanged. A CSP the runtime already sent is replaced,
 * so the shell's policy is the one in force.
 */
export function withContentSecurityPolicy(
  url: string,
  headers: Record<string, string[] | string> | undefined,
  appOrigin: string,
): Record<string, string[] | string> {
  const out: Record<string, string[] | string> = { ...(headers ?? {}) };
  if (originOf(url) !== appOrigin) return out;
  for (const key of Object.keys(out)) {
    if (key.toLowerCase() === 'content-security-policy') delete out[key];
  }
  out['Content-Security-Policy'] = [contentSecurityPolicy(appOrigin)];
  return out;
}

/** What to do with a navigation or a `window.open` request. */
export type NavigationDecision =
  | { kind: 'allow' }
  | { kind: 'external'; url: string }
  | { kind: 'app-action'; action: AppAction }
  | { kind: 'deny'; reason: string };

/**
 * Decides a top-level navigation (`will-navigate`, `will-redirect`): the app's own origin stays;
 * http(s) and mailto links elsewhere open in the system browser; `patchbay-app:` actions go to the
 * shell; everything else (file:, javascript:, data:, custom schemes) is refused.
 */
export function decideNavigation(url: string, appOrigin: string | null): NavigationDecision {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'deny', reason: `not a valid URL: ${JSON.stringify(url.slice(0, 200))}` };
  }
  if (parsed.protocol === APP_ACTION_SCHEME) {
    const action = parsed.pathname as AppAction;
    return APP_ACTIONS.includes(action)
      ? { kind: 'app-action', action }
      : { kind: 'deny', reason: `unknown app action "${parsed.pathname}"` };
  }
  if (appOrigin !== null && parsed.origin === appOrigin) return { kind: 'allow' };
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'mailto:') {
    return { kind: 'external', url: parsed.href };
  }
  return { kind: 'deny', reason: `the ${parsed.protocol} scheme is not opened by Patchbay` };
}

/**
 * Decides `window.open` and target=_blank: no page ever gets a new Electron window (the output
 * window is opened by the shell itself); web links go to the system browser.
 */
export function decideWindowOpen(url: string, appOrigin: string | null): NavigationDecision {
  const decision = decideNavigation(url, appOrigin);
  if (decision.kind === 'allow') return { kind: 'deny', reason: 'pages may not open app windows' };
  return decision;
}

/**
 * Decides a permission request. Electron grants everything unless the app installs a handler;
 * Patchbay grants the camera and microphone (the `media` permission), fullscreen and clipboard
 * writes to its own origin only, and refuses all the rest (geolocation, notifications, MIDI
 * sysex, HID, serial, …) until a node needs them.
 */
export function decidePermission(
  permission: string,
  requestingUrl: string,
  appOrigin: string | null,
  details: PermissionRequestDetails = {},
): boolean {
  if (appOrigin === null || originOf(requestingUrl) !== appOrigin) return false;
  switch (permission) {
    case 'media': {
      const types = details.mediaTypes ?? [];
      return types.every((type) => type === 'video' || type === 'audio');
    }
    case 'fullscreen':
    case 'clipboard-sanitized-write':
      return true;
    default:
      return false;
  }
}

/** The origin of a URL, or null when it has none (data:, about:, garbage). */
export function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
