/**
 * The page shown when the runtime does not start: what went wrong, the runtime's last output,
 * and Retry / Show log / Quit. Plain HTML with no script (the window runs with JavaScript off);
 * the buttons are `patchbay-app:` links that the shell intercepts on navigation.
 */
import { APP_ACTION_SCHEME } from './security';

/** What the page shows. */
export interface StartupErrorInfo {
  message: string;
  log: readonly string[];
  logPath: string | null;
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** Renders the page; every piece of text from the runtime is escaped. */
export function renderStartupErrorPage(info: StartupErrorInfo): string {
  const log = info.log.length > 0 ? info.log.slice(-200).join('\n') : '(the runtime printed nothing)';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Patchbay — the runtime did not start</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; background: #15161a; color: #e8e8ea; margin: 24px; }
  h1 { font-size: 18px; margin: 0 0 8px; color: #ff8a7a; }
  p { margin: 0 0 12px; }
  pre { background: #0c0d10; border: 1px solid #2a2c33; padding: 10px; height: 300px; overflow: auto;
        white-space: pre-wrap; font: 12px/1.4 ui-monospace, monospace; }
  a.button { display: inline-block; padding: 6px 14px; margin-right: 8px; border-radius: 4px;
             background: #2d6cdf; color: white; text-decoration: none; }
  a.secondary { background: #33353d; }
</style></head>
<body>
<h1>The Patchbay runtime did not start</h1>
<p>${escapeHtml(info.message)}</p>
${info.logPath ? `<p>Full log: <code>${escapeHtml(info.logPath)}</code></p>` : ''}
<pre>${escapeHtml(log)}</pre>
<p>
  <a class="button" href="${APP_ACTION_SCHEME}retry">Retry</a>
  ${info.logPath ? `<a class="button secondary" href="${APP_ACTION_SCHEME}show-log">Show log file</a>` : ''}
  <a class="button secondary" href="${APP_ACTION_SCHEME}quit">Quit</a>
</p>
</body></html>`;
}

/** The page as a data: URL for `BrowserWindow.loadURL`. */
export function startupErrorPageUrl(info: StartupErrorInfo): string {
  return `data:text/html;charset=utf-8;base64,${Buffer.from(renderStartupErrorPage(info)).toString('base64')}`;
}
