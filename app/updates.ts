/**
 * Auto-update through electron-updater (as Scope's app), with a configurable feed and off by
 * default in development. Decided here from plain inputs and driven through a minimal updater
 * interface, so it is tested with a fake; main.ts loads electron-updater only when updates are on
 * (the package requires Electron itself when imported).
 *
 * The feed: `PATCHBAY_UPDATE_URL` (a "generic" provider folder with latest.yml / latest-linux.yml
 * that electron-builder writes), else the publish settings baked into the packaged app
 * (electron-builder.yml's `publish`, read by electron-updater from app-update.yml).
 * `PATCHBAY_UPDATES=off` turns it off; in development (unpackaged) it is off unless
 * `PATCHBAY_UPDATES=on` and a feed URL are both given.
 */
export interface UpdateDecision {
  enabled: boolean;
  /** The generic feed URL, or null for the packaged publish settings. */
  feedUrl: string | null;
  /** Why, in words (logged at start). */
  reason: string;
}

export function decideUpdates(env: Record<string, string | undefined>, packaged: boolean): UpdateDecision {
  const raw = env.PATCHBAY_UPDATE_URL?.trim() || null;
  let feedUrl: string | null = null;
  if (raw) {
    let url: URL | null = null;
    try {
      url = new URL(raw);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))))
      return {
        enabled: false,
        feedUrl: null,
        reason: `PATCHBAY_UPDATE_URL "${raw}" is not an https:// URL (http:// only for loopback); updates off`,
      };
    feedUrl = url.href;
  }
  const mode = env.PATCHBAY_UPDATES?.trim().toLowerCase();
  if (mode === 'off') return { enabled: false, feedUrl, reason: 'PATCHBAY_UPDATES=off' };
  if (!packaged) {
    if (mode === 'on' && feedUrl) return { enabled: true, feedUrl, reason: `development, feed ${feedUrl}` };
    return {
      enabled: false,
      feedUrl,
      reason: 'off in development (PATCHBAY_UPDATES=on with PATCHBAY_UPDATE_URL turns it on)',
    };
  }
  return { enabled: true, feedUrl, reason: feedUrl ? `feed ${feedUrl}` : 'the packaged publish settings' };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/** The part of electron-updater's `autoUpdater` used here. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'update-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown;
}

/**
 * Starts checking: once now and then every `everyMs` (default 6 h). Downloads in the background,
 * installs on quit. Errors (offline, no feed) are logged, never thrown. Returns a stop function.
 */
export function startAutoUpdate(
  updater: Updater,
  decision: UpdateDecision,
  log: (line: string) => void,
  opts: { everyMs?: number; setInterval?: typeof setInterval; clearInterval?: typeof clearInterval } = {},
): () => void {
  log(`auto-update: ${decision.enabled ? 'on' : 'off'} (${decision.reason})`);
  if (!decision.enabled) return () => {};
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  if (decision.feedUrl) updater.setFeedURL({ provider: 'generic', url: decision.feedUrl });
  updater.on('error', (error) => log(`auto-update: ${error.message}`));
  updater.on('update-available', (info) => log(`auto-update: downloading ${info.version}`));
  updater.on('update-downloaded', (info) => log(`auto-update: ${info.version} installs when Patchbay quits`));
  const check = () =>
    void updater
      .checkForUpdates()
      .catch((error: Error) => log(`auto-update: check failed: ${error.message}`));
  check();
  const every = (opts.setInterval ?? setInterval)(check, opts.everyMs ?? 6 * 3600_000);
  (every as { unref?: () => void }).unref?.();
  return () => (opts.clearInterval ?? clearInterval)(every);
}
