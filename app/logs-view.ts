/**
 * The logs window: the newest lines of the rotating log (`<userData>/logs/patchbay.log` and
 * `.1`–`.4`, the contract in runtime/logging/files.ts), shown as time + level + session + message.
 * Plain HTML with no script (the window runs with JavaScript off, like the startup error page);
 * Refresh and "Open log file" are `patchbay-app:` links the shell intercepts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { humanLine } from '../runtime/logging';
import { logFileNames } from '../runtime/logging/files';
import { APP_ACTION_SCHEME } from './security';

/** The last `max` lines across the rotated files, oldest first. */
export function readRecentLogLines(dir: string, max = 500): string[] {
  const out: string[] = [];
  for (const name of logFileNames()) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n').filter((l) => l.length > 0);
    out.unshift(...lines.slice(-(max - out.length)));
    if (out.length >= max) break;
  }
  return out;
}

/** One line for a person: `2026-12-03 14:02:11.123 warn: [webrtc 1a2b3c4d] peer closed`. */
export function formatLogLine(line: string): string {
  let time = '';
  try {
    const t = (JSON.parse(line) as { time?: unknown }).time;
    if (typeof t === 'number') time = new Date(t).toISOString().replace('T', ' ').replace('Z', '') + ' ';
  } catch {
    /* not JSON: shown as it is */
  }
  return time + humanLine(line);
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

export function renderLogsPage(info: { lines: readonly string[]; logPath: string | null }): string {
  const body = info.lines.length ? info.lines.map(formatLogLine).join('\n') : '(no log lines yet)';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Patchbay — logs</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; background: #15161a; color: #e8e8ea; margin: 16px; }
  pre { background: #0c0d10; border: 1px solid #2a2c33; padding: 10px; height: calc(100vh - 110px);
        overflow: auto; white-space: pre-wrap; font: 12px/1.4 ui-monospace, monospace; margin: 0 0 10px; }
  a.button { display: inline-block; padding: 5px 12px; margin-right: 8px; border-radius: 4px;
             background: #33353d; color: white; text-decoration: none; }
</style></head>
<body>
<pre>${escapeHtml(body)}</pre>
<p>
  <a class="button" href="${APP_ACTION_SCHEME}show-logs">Refresh</a>
  ${info.logPath ? `<a class="button" href="${APP_ACTION_SCHEME}show-log">Open log file</a> <code>${escapeHtml(info.logPath)}</code>` : ''}
</p>
</body></html>`;
}

export function logsPageUrl(info: { lines: readonly string[]; logPath: string | null }): string {
  return `data:text/html;charset=utf-8;base64,${Buffer.from(renderLogsPage(info)).toString('base64')}`;
}
