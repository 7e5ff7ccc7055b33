/**
 * The Chromium flags a headless Patchbay run needs, for users who drive a system Chromium
 * (`executablePath`) and for the project's own browser tests and benchmarks.
 */

/** Debian's Chromium, where the project's tests and CI expect it. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Headless, no background network traffic (closed networks refuse it), a fake 30 fps camera
 * with the permission prompt answered, and WebRTC over loopback (werift offers 127.0.0.1 host
 * candidates; Chromium drops loopback candidates without the last flag).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream=fps=30',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];
